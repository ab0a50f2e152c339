"""SSWS auth, rate-limit headers and 429s, the concurrency limit, and group-scoped tokens (#7)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from idsync.sandbox.okta.options import RateLimitOptions
from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import assert_error

Start = Callable[..., RunningOkta]


def test_bad_or_missing_token_is_401_e0000011(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    for headers in ({"Authorization": "SSWS wrong"}, {"Authorization": f"Bearer {okta.token}"}, {}):
        with httpx.Client(base_url=okta.url, headers=headers) as client:
            response = client.get("/api/v1/users")
        body = assert_error(response, 401, "E0000011")
        assert body["errorSummary"] == "Invalid token provided"
        assert response.headers["x-okta-request-id"]
        assert okta.token not in response.text


def test_429_with_body_and_headers_then_success_after_reset(okta_sandbox: Start) -> None:
    okta = okta_sandbox(rate_limit=RateLimitOptions(buckets={"user_get": 3}))
    state = okta.sandbox.state
    user_id = state.everyone_id  # any path under /users/{id} counts against user_get
    with okta.client() as client:
        remaining = []
        for _ in range(3):
            response = client.get(f"/api/v1/users/{user_id}")
            assert response.headers["x-rate-limit-limit"] == "3"
            remaining.append(int(response.headers["x-rate-limit-remaining"]))
        assert remaining == [2, 1, 0]
        limited = client.get(f"/api/v1/users/{user_id}")
        body = assert_error(limited, 429, "E0000047")
        assert body["errorSummary"] == "API call exceeded rate limit due to too many requests."
        assert limited.headers["x-rate-limit-remaining"] == "0"
        reset = int(limited.headers["x-rate-limit-reset"])
        now = okta.sandbox.control.clock.now().timestamp()
        assert now < reset <= now + 61
        assert client.get("/api/v1/groups").status_code == 200  # other buckets are unaffected
        okta.sandbox.control.clock.advance(reset - now + 0.5)
        again = client.get(f"/api/v1/users/{user_id}")
    assert again.status_code == 404  # past the limiter: the id is a group's, so no such user
    assert again.headers["x-rate-limit-remaining"] == "2"


def test_every_api_response_carries_rate_limit_headers(okta_sandbox: Start) -> None:
    okta = okta_sandbox(rate_limit=RateLimitOptions(per_minute=50))
    with okta.client() as client:
        for path in ("/api/v1/users", "/api/v1/groups", "/api/v1/logs", "/api/v1/nothing-here"):
            response = client.get(path)
            assert response.headers["x-rate-limit-limit"] == "50"
            assert "x-rate-limit-remaining" in response.headers
            assert "x-rate-limit-reset" in response.headers


async def test_concurrent_request_limit(okta_sandbox: Start) -> None:
    okta = okta_sandbox(latency_ms=1500, rate_limit=RateLimitOptions(concurrency=2))
    headers = {"Authorization": f"SSWS {okta.token}"}
    async with httpx.AsyncClient(base_url=okta.url, headers=headers, timeout=10) as client:
        responses = await asyncio.gather(*(client.get("/api/v1/groups") for _ in range(6)))
    limited = [r for r in responses if r.status_code == 429]
    assert 6 - len(limited) >= 2
    assert limited
    for response in limited:
        assert_error(response, 429, "E0000047")
        assert response.headers["x-rate-limit-limit"] == "0"
        assert response.headers["x-rate-limit-remaining"] == "0"


def test_group_scoped_token_sees_only_its_groups_and_members(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=300, groups=40, apps=1, seed=12)
    state = okta.sandbox.state
    team = next(
        g
        for g in state.groups.values()
        if g.profile["name"].startswith("team-") and len(state.members[g.id]) >= 3
    )
    scoped = okta.sandbox.mint_group_token([team.id])
    outsider = next(uid for uid in state.user_ids if team.id not in state.user_groups.get(uid, set()))
    members = state.members[team.id]
    with okta.client(scoped) as client:
        groups = client.get("/api/v1/groups").json()
        assert [g["id"] for g in groups] == [team.id]
        users = {u["id"] for u in client.get("/api/v1/users", params={"search": "status pr"}).json()}
        assert users == members
        member = sorted(members)[0]
        assert client.get(f"/api/v1/users/{member}").status_code == 200
        assert {g["id"] for g in client.get(f"/api/v1/users/{member}/groups").json()} == {team.id}
        assert_error(client.get(f"/api/v1/users/{outsider}"), 403, "E0000006")
        assert_error(client.get(f"/api/v1/groups/{state.everyone_id}"), 403, "E0000006")
        assert_error(client.get("/api/v1/logs"), 403, "E0000006")
        assert_error(client.get(f"/api/v1/apps/{state.app_ids[0]}/users"), 403, "E0000006")
        assert_error(client.post("/api/v1/groups", json={"profile": {"name": "x"}}), 403, "E0000006")
        assert client.get(f"/api/v1/groups/{team.id}/users").status_code == 200
    with okta.client() as admin:
        assert len(admin.get("/api/v1/groups", params={"limit": 200}).json()) == 41


def test_rate_limits_change_while_the_emulator_runs(okta_sandbox: Start) -> None:
    okta = okta_sandbox(rate_limit=RateLimitOptions(per_minute=20_000))
    with okta.client() as client:
        assert client.get("/api/v1/users").headers["x-rate-limit-limit"] == "20000"
        # back to Okta's documented defaults, as a benchmark does after its initial read
        changed = client.put("/_sandbox/rate_limits", json={"per_minute": None})
        assert changed.status_code == 200 and changed.json()["limits"]["users"] == 600
        assert client.get("/api/v1/users").headers["x-rate-limit-limit"] == "600"
        assert client.get("/api/v1/logs").headers["x-rate-limit-limit"] == "120"
        assert client.get("/_sandbox/rate_limits").json()["per_minute"] is None
        wrong = client.put("/_sandbox/rate_limits", json={"buckets": {"nope": 1}})
        assert wrong.status_code == 400 and "nope" in wrong.json()["error"]
        unknown = client.put("/_sandbox/rate_limits", json={"per_hour": 5})
        assert unknown.status_code == 400 and "per_hour" in unknown.json()["error"]
        assert client.get("/api/v1/users").headers["x-rate-limit-limit"] == "600"
