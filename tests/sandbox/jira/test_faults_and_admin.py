"""Rate limiting (429 + Retry-After, then success after the clock passes it), fault injection with
Jira-format error bodies, dropped connections, and the /_sandbox/ admin API."""

from __future__ import annotations

import httpx
import pytest


def test_rate_limit_answers_429_with_retry_after_then_succeeds_after_it(jira_sandbox):
    jira = jira_sandbox(rate_limit_requests=3, rate_limit_interval_seconds=10)
    with jira.client() as client:
        statuses = [client.get("/rest/api/2/myself") for _ in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        assert statuses[0].headers["x-ratelimit-limit"] == "3"
        assert statuses[0].headers["x-ratelimit-remaining"] == "2"
        assert statuses[0].headers["x-ratelimit-fillrate"] == "3"
        assert statuses[0].headers["x-ratelimit-interval-seconds"] == "10"
        assert statuses[0].headers["retry-after"] == "0"
        limited = statuses[3]
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 10
        assert limited.json()["errorMessages"]
        assert client.get("/rest/api/2/myself").status_code == 429
        httpx.post(f"{jira.url}/_sandbox/clock", json={"advance_seconds": retry_after})
        assert client.get("/rest/api/2/myself").status_code == 200


def test_rate_limit_buckets_are_per_user(jira_sandbox):
    jira = jira_sandbox(rate_limit_requests=1, rate_limit_interval_seconds=60)
    with jira.client() as admin:
        assert (
            admin.post(
                "/rest/api/2/user",
                json={"name": "u2", "password": "pw", "emailAddress": "u@example.com", "displayName": "U"},
            ).status_code
            == 201
        )
        assert admin.get("/rest/api/2/myself").status_code == 429
    assert httpx.get(f"{jira.url}/rest/api/2/myself", auth=("u2", "pw")).status_code == 200


def test_rate_limit_is_off_by_default(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        response = client.get("/rest/api/2/myself")
    assert "x-ratelimit-limit" not in response.headers


def test_injected_write_failures_use_the_jira_error_body(jira_sandbox):
    jira = jira_sandbox(write_fail_rate=1.0)
    with jira.client() as client:
        write = client.post("/rest/api/2/group", json={"name": "x"})
        read = client.get("/rest/api/2/myself")
    assert write.status_code == 500
    assert set(write.json()) == {"errorMessages", "errors"}
    assert read.status_code == 200
    assert jira.sandbox.state.group("x") is None


def test_deterministic_rule_and_faults_set_over_the_admin_api(jira_sandbox):
    jira = jira_sandbox(users=20)
    admin = f"{jira.url}/_sandbox"
    rule = {"method": "GET", "path": "/rest/api/2/group/member", "skip": 1, "count": 1, "status": 503}
    assert httpx.put(f"{admin}/faults", json={"rules": [rule]}).status_code == 200
    with jira.client() as client:
        params = {"groupname": "jira-software-users"}
        codes = [client.get("/rest/api/2/group/member", params=params).status_code for _ in range(3)]
    assert codes == [200, 503, 200]
    bad = httpx.put(f"{admin}/faults", json={"nonsense": 1})
    assert bad.status_code == 400
    assert "nonsense" in bad.json()["error"]


def test_dropped_connections(jira_sandbox):
    jira = jira_sandbox()
    jira.sandbox.control.faults.update({"drop_rate": 1.0})
    with jira.client() as client, pytest.raises(httpx.TransportError):
        client.get("/rest/api/2/myself")


def test_admin_state_stats_and_reset(jira_sandbox):
    jira = jira_sandbox(users=5, projects=1)
    admin = f"{jira.url}/_sandbox"
    with jira.client() as client:
        client.post("/rest/api/2/group", json={"name": "temp"})
        client.get("/rest/api/2/myself")
    state = httpx.get(f"{admin}/state").json()
    assert "temp" in [g["name"] for g in state["groups"]]
    assert len(state["users"]) == 6
    assert state["projects"][0]["lead"]
    stats = httpx.get(f"{admin}/stats").json()
    assert stats["POST /rest/api/2/group"] == 1
    assert httpx.post(f"{admin}/reset").status_code == 204
    after = httpx.get(f"{admin}/state").json()
    assert "temp" not in [g["name"] for g in after["groups"]]
    assert httpx.get(f"{admin}/stats").json() == {}
    assert after["users"] == state["users"]


def test_generation_is_deterministic_per_seed(jira_sandbox):
    one = jira_sandbox(users=50, projects=2, seed=7)
    two = jira_sandbox(users=50, projects=2, seed=7)
    other = jira_sandbox(users=50, projects=2, seed=8)
    dumps = [httpx.get(f"{j.url}/_sandbox/state").json() for j in (one, two, other)]
    for dump in dumps:
        for user in dump["users"]:
            user.pop("created")
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]
    users = one.sandbox.state.users.values()
    assert all(u.name == u.name.lower() for u in users)
    assert any(not u.active for u in users)
