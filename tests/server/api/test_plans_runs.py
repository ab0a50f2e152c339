"""Plans, sync now, guards and history over HTTP against `idsync serve`: a stored plan applies exactly
(a person added in Okta after the plan is not created), a plan whose target changed since gets 409,
a plan over a safety limit gets 422 naming the limit and the override, and runs and their items
filter and page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.api.serving import ApiServer


def _late_person(okta: RunningOkta) -> None:
    with okta.client() as client:
        client.post("/api/v1/users", params={"activate": "true"}, json={
            "profile": {"firstName": "Late", "lastName": "Comer", "email": "late.comer@example.com",
                        "login": "late.comer@example.com"},
            "credentials": {"password": {"value": "Passw0rd-Late-1"}},
        }).raise_for_status()  # fmt: skip


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_plan_then_apply_exactly_that_plan(api: ApiServer, okta: RunningOkta, jira: RunningJira) -> None:
    with api.client() as client:
        planned = _ok(client.post("/plans", json={"profile": "p"}), 201)
        assert planned["id"] and planned["status"] == "planned" and planned["plan"]["items"]
        assert jira.sandbox.state.user_by_name("late.comer") is None
        _late_person(okta)

        shown = _ok(client.get(f"/plans/{planned['id']}"))
        assert shown["plan"]["items"] == planned["plan"]["items"] and shown["applied_run_id"] is None
        applied = _ok(client.post(f"/plans/{planned['id']}/apply"))

        assert applied["status"] == "succeeded"
        assert len(applied["results"]) == len(planned["plan"]["items"])
        assert jira.sandbox.state.user_by_name("late.comer") is None, "not in the plan, not applied"
        run = _ok(client.get(f"/runs/{applied['run_id']}"))
        assert run["trigger"] == "api" and run["items_total"] == len(planned["plan"]["items"])
        assert _ok(client.get(f"/plans/{planned['id']}"))["applied_run_id"] == applied["run_id"]
        twice = client.post(f"/plans/{planned['id']}/apply")
        assert twice.status_code == 409 and applied["run_id"] in twice.json()["error"]["message"]


def test_a_plan_whose_target_changed_since_gets_409(
    api: ApiServer, okta: RunningOkta, jira: RunningJira
) -> None:
    with api.client() as client:
        assert _ok(client.post("/profiles/p/sync"))["status"] == "succeeded"
        uid = next(u.id for u in okta.sandbox.state.users.values() if u.status == "ACTIVE")
        with okta.client() as okta_api:
            okta_api.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Someone Else"}})
        planned = _ok(client.post("/plans", json={"profile": "p"}), 201)
        (item,) = planned["plan"]["items"]
        with jira.client() as jira_api:  # an admin edits that user in Jira meanwhile
            edit = {"displayName": "Hand Edited"}
            jira_api.put("/rest/api/2/user", params={"username": item["user"]}, json=edit).raise_for_status()

        stale = client.post(f"/plans/{planned['id']}/apply")

        assert stale.status_code == 409, stale.text
        assert "changed since the plan was made" in stale.json()["error"]["message"]
        user = jira.sandbox.state.user_by_name(item["user"])
        assert user is not None and user.display_name == "Hand Edited"


def test_over_a_guard_is_422_naming_the_limit_and_the_override(
    api: ApiServer, okta: RunningOkta, jira: RunningJira
) -> None:
    with api.client() as client:
        assert _ok(client.post("/profiles/p/sync"))["status"] == "succeeded"
        active = sorted(u.id for u in okta.sandbox.state.users.values() if u.status == "ACTIVE")
        with okta.client() as okta_api:
            for uid in active[:3]:
                okta_api.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()

        refused = client.post("/profiles/p/sync")
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["limits"] == ["max_deactivations"] and error["override"] == "allow_over_limit"
        assert "max_deactivations" in error["message"] and "allow_over_limit" in error["message"]
        assert error["run"]["status"] == "refused" and error["run"]["run_id"]

        planned = _ok(client.post("/plans", json={"profile": "p"}), 201)
        assert planned["guard"]["refused"] and planned["guard"]["override"] == "allow_over_limit"
        held = client.post(f"/plans/{planned['id']}/apply")
        assert held.status_code == 422 and held.json()["error"]["limits"] == ["max_deactivations"]
        allowed = _ok(client.post(f"/plans/{planned['id']}/apply", json={"allow_over_limit": True}))
        assert allowed["status"] == "succeeded"
    deactivated = {u.name for u in jira.sandbox.state.users.values() if not u.active}
    assert len(deactivated) == 3
    assert okta.token not in api.log.read_text() and jira.token not in api.log.read_text()


def test_runs_and_items_filter_and_page(api: ApiServer, okta: RunningOkta) -> None:
    logins = sorted(u.profile["login"] for u in okta.sandbox.state.users.values() if u.status == "ACTIVE")
    with api.client() as client:
        first = _ok(client.post("/profiles/p/sync"))
        for login in logins[:3]:
            _ok(client.post(f"/profiles/p/users/{login}/sync"))
        _ok(client.post("/profiles/p/sync", json={"dry_run": True}))  # a dry run is not a run

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = _ok(client.get("/runs", params=params))
            assert len(page["runs"]) <= 2
            seen += [run["id"] for run in page["runs"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 4 and seen[-1] == first["run_id"]

        logins_runs = _ok(client.get("/runs", params={"trigger": "login"}))["runs"]
        assert len(logins_runs) == 3 and all(r["trigger"] == "login" for r in logins_runs)
        by_api = _ok(client.get("/runs", params={"trigger": "api"}))["runs"]
        assert [r["id"] for r in by_api] == [first["run_id"]]
        succeeded = _ok(client.get("/runs", params={"status": "succeeded", "profile": "p"}))["runs"]
        assert [r["id"] for r in succeeded] == [first["run_id"]]
        assert len(_ok(client.get("/runs", params={"status": "no_changes"}))["runs"]) == 3
        assert _ok(client.get("/runs", params={"status": "failed"}))["runs"] == []
        username = logins[0].split("@")[0].lower()
        touched = {r["id"] for r in _ok(client.get("/runs", params={"user": username}))["runs"]}
        assert first["run_id"] in touched and len(touched) >= 1

        total = _ok(client.get(f"/runs/{first['run_id']}", params={"limit": 1}))["items_total"]
        assert total == len(first["plan"]["items"]) > 10
        items: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            view = _ok(client.get(f"/runs/{first['run_id']}", params={"limit": 7, "offset": offset}))
            items += view["items"]
            offset = view["next_offset"]
        assert [item["index"] for item in items] == list(range(total))
        params = {"action": "create_user", "limit": 1000}
        creates = _ok(client.get(f"/runs/{first['run_id']}", params=params))
        planned = sum(1 for i in first["plan"]["items"] if i["action"] == "create_user")
        assert creates["items_total"] == planned
        assert {i["action"] for i in creates["items"]} == {"create_user"}
        mine = _ok(client.get(f"/runs/{first['run_id']}", params={"user": username}))
        assert mine["items"] and all(i["user"] == username for i in mine["items"])
        applied = _ok(client.get(f"/runs/{first['run_id']}", params={"outcome": "applied", "limit": 1}))
        assert applied["items_total"] == total
        bad = client.get(f"/runs/{first['run_id']}", params={"outcome": "won"})
        assert bad.status_code == 422 and "applied" in bad.json()["error"]["valid"]
        assert client.get("/runs/20990101-000000000-ffff").status_code == 404
        profiles = _ok(client.get("/profiles"))["profiles"]
        assert [(p["name"], p["last_run"]["trigger"]) for p in profiles] == [("p", "login")]
        assert profiles[0]["schedule"] is None and profiles[0]["next_run"] is None
