"""Contract tests for /api/v1/groups: type rules, listing modes, members paging, timestamps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import all_pages, assert_error, create_user

Start = Callable[..., RunningOkta]


def test_empty_org_has_only_everyone(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=0, groups=0)
    with okta.client() as client:
        groups = client.get("/api/v1/groups").json()
        users = client.get("/api/v1/users").json()
    assert [(g["type"], g["profile"]["name"]) for g in groups] == [("BUILT_IN", "Everyone")]
    assert users == []


def test_group_type_rules(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=20, groups=60, apps=2, seed=4)
    state = okta.sandbox.state
    app_group = next(g for g in state.groups.values() if g.type == "APP_GROUP")
    everyone = state.everyone_id
    user_id = state.user_ids[0]
    with okta.client() as client:
        created = client.post("/api/v1/groups", json={"profile": {"name": "New", "type": "x"}}).json()
        assert created["type"] == "OKTA_GROUP"
        assert created["profile"]["description"] is None
        for group_id in (app_group.id, everyone):
            assert_error(client.put(f"/api/v1/groups/{group_id}/users/{user_id}"), 403, "E0000006")
            assert_error(client.delete(f"/api/v1/groups/{group_id}/users/{user_id}"), 403, "E0000006")
            assert_error(
                client.put(f"/api/v1/groups/{group_id}", json={"profile": {"name": "r"}}), 403, "E0000006"
            )
        assert_error(client.delete(f"/api/v1/groups/{everyone}"), 403, "E0000006")
        assert client.delete(f"/api/v1/groups/{app_group.id}").status_code == 204
        app_json = client.get("/api/v1/groups", params={"filter": 'type eq "APP_GROUP"'}).json()
        assert all(g["source"]["id"] in state.apps for g in app_json)
        assert_error(client.post("/api/v1/groups", json={"profile": {"name": "new"}}), 400, "E0000001")
        assert_error(client.post("/api/v1/groups", json={"profile": {}}), 400, "E0000001")


def test_membership_bumps_group_not_user(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    clock = okta.sandbox.control.clock
    with okta.client() as client:
        user = create_user(client, "Member", "Ship")
        group = client.post("/api/v1/groups", json={"profile": {"name": "Club"}}).json()
        clock.advance(10)
        assert client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}").status_code == 204
        after = client.get(f"/api/v1/groups/{group['id']}").json()
        assert after["lastMembershipUpdated"] > group["lastMembershipUpdated"]
        assert after["lastUpdated"] == group["lastUpdated"]
        assert client.get(f"/api/v1/users/{user['id']}").json()["lastUpdated"] == user["lastUpdated"]
        changed = client.get(
            "/api/v1/groups",
            params={
                "filter": f'type eq "OKTA_GROUP" and (lastUpdated gt "{group["lastUpdated"]}" or '
                f'lastMembershipUpdated gt "{group["lastMembershipUpdated"]}")'
            },
        ).json()
        assert [g["id"] for g in changed] == [group["id"]]
        clock.advance(10)
        client.put(f"/api/v1/groups/{group['id']}", json={"profile": {"name": "Club", "description": "d"}})
        assert client.get(f"/api/v1/groups/{group['id']}").json()["lastUpdated"] > after["lastUpdated"]
        assert client.delete(f"/api/v1/groups/{group['id']}/users/{user['id']}").status_code == 204
        assert client.get(f"/api/v1/groups/{group['id']}/users").json() == []
        events = [e["eventType"] for e in client.get("/api/v1/logs").json()]
    assert "group.user_membership.add" in events
    assert events[-1] == "group.user_membership.remove"


def test_members_paging_default_1000(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=1500, groups=1, seed=2)
    state = okta.sandbox.state
    with okta.client() as client:
        everyone = client.get(f"/api/v1/groups/{state.everyone_id}/users")
        assert len(everyone.json()) == 1000
        assert f"/api/v1/groups/{state.everyone_id}/users?limit=1000>" in everyone.headers.get_list("link")[0]
        pages = all_pages(client, f"/api/v1/groups/{state.everyone_id}/users", limit=400)
    ids = [u["id"] for p in pages for u in p]
    assert len(ids) == 1500
    assert set(ids) == set(state.users)


def test_list_modes_search_q_stats_and_paging(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=100, groups=80, apps=2, seed=9)
    state = okta.sandbox.state
    with okta.client() as client:
        pages = all_pages(client, "/api/v1/groups", limit=25)
        assert len(pages) == 4
        assert len({g["id"] for p in pages for g in p}) == 81
        teams = client.get("/api/v1/groups", params={"q": "team-", "limit": 500}).json()
        assert len(teams) == min(
            300, sum(1 for g in state.groups.values() if g.profile["name"].startswith("team-"))
        )
        assert len(client.get("/api/v1/groups", params={"q": "team-"}).json()) == 10
        found = client.get("/api/v1/groups", params={"search": 'profile.name eq "ENGINEERING"'}).json()
        assert [g["profile"]["name"] for g in found] == ["Engineering"]
        assert (
            client.get("/api/v1/groups", params={"filter": 'profile.name eq "Engineering"'}).status_code
            == 400
        )
        stats = client.get(f"/api/v1/groups/{found[0]['id']}", params={"expand": "stats"}).json()
        assert stats["_embedded"]["stats"]["usersCount"] == len(state.members[found[0]["id"]])


@pytest.mark.parametrize("missing", ["group", "user"])
def test_membership_404s(okta_sandbox: Start, missing: str) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Four", "OhFour")
        group = client.post("/api/v1/groups", json={"profile": {"name": "G"}}).json()
        gid = "00gMissing" if missing == "group" else group["id"]
        uid = "00uMissing" if missing == "user" else user["id"]
        assert_error(client.put(f"/api/v1/groups/{gid}/users/{uid}"), 404, "E0000007")
