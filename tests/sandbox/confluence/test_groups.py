"""Groups over real HTTP: listing and member paging by `_links.next`, create / delete, and the
documented idempotent PUT / DELETE membership pair."""

from __future__ import annotations

from tests.fixtures.confluence import ConfluenceFactory


def test_group_members_page_by_links_next(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=300, seed=2)
    state = confluence.sandbox.state
    names: list[str] = []
    with confluence.client() as client:
        url: str | None = "/rest/api/group/confluence-users/member?limit=120&expand=status"
        while url is not None:
            body = client.get(url).json()
            assert body["size"] == len(body["results"]) <= 120
            names += [p["username"] for p in body["results"]]
            url = body["_links"].get("next")
        groups = client.get("/rest/api/group", params={"limit": 500}).json()
    assert names == sorted(u.name for u in state.users.values())
    assert [g["name"] for g in groups["results"]][:2] == ["confluence-administrators", "confluence-users"]
    assert len(groups["results"]) == len(state.groups)
    assert "next" not in groups["_links"]


def test_create_and_delete_group(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        created = client.post("/rest/api/admin/group", json={"name": "Team-X"})
        duplicate = client.post("/rest/api/admin/group", json={"name": "team-x"})
        nameless = client.post("/rest/api/admin/group", json={})
        fetched = client.get("/rest/api/group/team-x")
        deleted = client.delete("/rest/api/admin/group/Team-X")
        gone = client.get("/rest/api/group/team-x/member")
        admins = client.delete("/rest/api/admin/group/confluence-administrators")
    assert created.status_code == 201
    assert created.json()["type"] == "group" and created.json()["name"] == "Team-X"
    assert duplicate.status_code == 409
    assert nameless.status_code == 400
    assert fetched.json()["name"] == "Team-X"
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert admins.status_code == 400


def test_membership_put_and_delete_are_idempotent(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=3)
    user = next(u for u in confluence.sandbox.state.users.values() if u.name != "admin")
    path = f"/rest/api/user/{user.name}/group/team%20x"
    with confluence.client() as client:
        client.post("/rest/api/admin/group", json={"name": "team x"}).raise_for_status()
        added = [client.put(path).status_code for _ in range(2)]
        members = client.get("/rest/api/group/team%20x/member").json()["results"]
        memberof = client.get("/rest/api/user/memberof", params={"username": user.name}).json()
        removed = [client.delete(path).status_code for _ in range(2)]
        no_group = client.put(f"/rest/api/user/{user.name}/group/nope")
        no_user = client.put("/rest/api/user/nobody/group/team%20x")
    assert added == [204, 204] and removed == [204, 204]
    assert [m["username"] for m in members] == [user.name]
    assert "team x" in [g["name"] for g in memberof["results"]]
    assert confluence.sandbox.state.groups["team x"].members == set()
    assert no_group.status_code == 404 and no_user.status_code == 404
