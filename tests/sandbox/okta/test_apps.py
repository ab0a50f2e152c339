"""App-scoped listings: app users (scope USER / GROUP, expand=user) and app groups (expand=group)."""

from __future__ import annotations

from collections.abc import Callable

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import all_pages, assert_error, create_user

Start = Callable[..., RunningOkta]


def test_app_users_and_groups_with_scopes(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=0, groups=0, apps=1)
    app_id = okta.sandbox.state.app_ids[0]
    with okta.client() as client:
        direct = create_user(client, "Direct", "Assignee")
        via_group = create_user(client, "Group", "Member")
        both = create_user(client, "Both", "Ways")
        group = client.post("/api/v1/groups", json={"profile": {"name": "App users"}}).json()
        for user in (via_group, both):
            client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}")
        assigned = client.put(f"/api/v1/apps/{app_id}/groups/{group['id']}", json={"priority": 1})
        assert assigned.status_code == 200
        for user in (direct, both):
            response = client.post(
                f"/api/v1/apps/{app_id}/users",
                json={
                    "id": user["id"],
                    "scope": "USER",
                    "credentials": {"userName": user["profile"]["login"]},
                },
            )
            assert response.status_code == 200
            assert response.json()["scope"] == "USER"
        listing = client.get(f"/api/v1/apps/{app_id}/users", params={"expand": "user"})
        assert f"/api/v1/apps/{app_id}/users?expand=user&limit=50>" in listing.headers.get_list("link")[0]
        scopes = {u["id"]: u["scope"] for u in listing.json()}
        assert scopes == {direct["id"]: "USER", both["id"]: "USER", via_group["id"]: "GROUP"}
        assert all(u["_embedded"]["user"]["id"] == u["id"] for u in listing.json())
        groups = client.get(f"/api/v1/apps/{app_id}/groups").json()
        assert groups[0]["id"] == group["id"]
        assert "profile" not in groups[0]
        expanded = client.get(f"/api/v1/apps/{app_id}/groups", params={"expand": "group"}).json()
        assert expanded[0]["_embedded"]["group"]["profile"]["name"] == "App users"
        assert client.delete(f"/api/v1/apps/{app_id}/users/{direct['id']}").status_code == 204
        assert client.delete(f"/api/v1/apps/{app_id}/groups/{group['id']}").status_code == 204
        remaining = {u["id"]: u["scope"] for u in client.get(f"/api/v1/apps/{app_id}/users").json()}
        assert remaining == {both["id"]: "USER"}
        events = {e["eventType"] for e in client.get("/api/v1/logs").json()}
    assert {
        "application.user_membership.add",
        "application.user_membership.remove",
        "group.application_assignment.add",
        "group.application_assignment.remove",
    } <= events


def test_app_users_paging_limits(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=400, groups=10, apps=1, seed=11)
    state = okta.sandbox.state
    app_id = state.app_ids[0]
    expected = state.app_user_scopes(app_id)
    with okta.client() as client:
        first = client.get(f"/api/v1/apps/{app_id}/users")
        assert len(first.json()) == min(50, len(expected))
        pages = all_pages(client, f"/api/v1/apps/{app_id}/users", limit=7)
        big = client.get(f"/api/v1/apps/{app_id}/users", params={"limit": 100000}).json()
        assert_error(client.get(f"/api/v1/apps/{app_id}/users", params={"limit": "many"}), 400, "E0000001")
        assert_error(client.get("/api/v1/apps/0oaMissing/users"), 404, "E0000007")
    assert {u["id"] for p in pages for u in p} == set(expected)
    assert len(big) == min(500, len(expected))
