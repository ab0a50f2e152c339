"""Groups and memberships: create (400 when it exists), the two membership forms with their
documented status codes, paging of direct members, nested groups, and the CWD-4433 deviation."""

from __future__ import annotations

from tests.fixtures.crowd import CrowdFactory


def test_create_group_and_duplicate(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        created = client.post(
            "/group", json={"name": "Devs", "type": "GROUP", "description": "d", "active": True}
        )
        duplicate = client.post("/group", json={"name": "devs", "type": "GROUP"})
        group = client.get("/group", params={"groupname": "DEVS"}).json()
        missing = client.get("/group", params={"groupname": "nope"})
    assert created.status_code == 201
    assert created.headers["location"].endswith("/group?groupname=Devs")
    assert duplicate.status_code == 400 and duplicate.json()["reason"] == "INVALID_GROUP"
    assert group["name"] == "Devs" and group["type"] == "GROUP" and group["active"] is True
    assert missing.status_code == 404 and missing.json()["reason"] == "GROUP_NOT_FOUND"


def test_group_side_membership_status_codes(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/group", json={"name": "devs"})
        added = client.post("/group/user/direct", params={"groupname": "devs"}, json={"name": "ADMIN"})
        again = client.post("/group/user/direct", params={"groupname": "devs"}, json={"name": "admin"})
        no_user = client.post("/group/user/direct", params={"groupname": "devs"}, json={"name": "ghost"})
        no_group = client.post("/group/user/direct", params={"groupname": "ghosts"}, json={"name": "admin"})
        check = client.get("/group/user/direct", params={"groupname": "devs", "username": "admin"})
        removed = client.delete("/group/user/direct", params={"groupname": "devs", "username": "admin"})
        not_member = client.delete("/group/user/direct", params={"groupname": "devs", "username": "admin"})
    assert added.status_code == 201
    assert again.status_code == 409 and again.json()["reason"] == "MEMBERSHIP_ALREADY_EXISTS"
    assert no_user.status_code == 400 and no_user.json()["reason"] == "USER_NOT_FOUND"
    assert no_group.status_code == 404 and no_group.json()["reason"] == "GROUP_NOT_FOUND"
    assert check.status_code == 200 and check.json()["name"] == "admin"
    assert removed.status_code == 204
    assert not_member.status_code == 404 and not_member.json()["reason"] == "MEMBERSHIP_NOT_FOUND"


def test_user_side_membership_status_codes(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/group", json={"name": "devs"})
        added = client.post("/user/group/direct", params={"username": "admin"}, json={"name": "devs"})
        again = client.post("/user/group/direct", params={"username": "admin"}, json={"name": "devs"})
        no_group = client.post("/user/group/direct", params={"username": "admin"}, json={"name": "ghosts"})
        no_user = client.post("/user/group/direct", params={"username": "ghost"}, json={"name": "devs"})
        groups = client.get("/user/group/direct", params={"username": "admin"}).json()
        removed = client.delete("/user/group/direct", params={"username": "admin", "groupname": "devs"})
    assert added.status_code == 201
    assert again.status_code == 409
    assert no_group.status_code == 400 and no_group.json()["reason"] == "GROUP_NOT_FOUND"
    assert no_user.status_code == 404 and no_user.json()["reason"] == "USER_NOT_FOUND"
    assert [g["name"] for g in groups["groups"]] == ["crowd-administrators", "devs"]
    assert groups["expand"] == "group"
    assert removed.status_code == 204


def test_groups_of_a_missing_user_is_an_empty_list_unless_switched_off(crowd_sandbox: CrowdFactory) -> None:
    quirky = crowd_sandbox()
    with quirky.client() as client:
        response = client.get("/user/group/direct", params={"username": "ghost"})
    assert response.status_code == 200 and response.json()["groups"] == []
    strict = crowd_sandbox(empty_groups_for_missing_user=False)
    with strict.client() as client:
        assert client.get("/user/group/direct", params={"username": "ghost"}).status_code == 404


def test_direct_members_page_with_start_index_and_max_results(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(users=200, seed=4)
    big = max(crowd.sandbox.state.groups.values(), key=lambda g: len(g.members))
    names: list[str] = []
    with crowd.client() as client:
        start = 0
        while True:
            page = client.get(
                "/group/user/direct", params={"groupname": big.name, "start-index": start, "max-results": 7}
            ).json()
            names += [u["name"] for u in page["users"]]
            if len(page["users"]) < 7:
                break
            start += 7
        expanded = client.get("/group/user/direct", params={"groupname": big.name, "expand": "user"}).json()
    state = crowd.sandbox.state
    assert names == sorted((state.users[k].name for k in big.members), key=str.lower)
    assert {u["email"] for u in expanded["users"]} == {state.users[k].email for k in big.members}


def test_nested_groups(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        for name in ("parent", "child"):
            client.post("/group", json={"name": name})
        client.post("/group/user/direct", params={"groupname": "child"}, json={"name": "admin"})
        added = client.post(
            "/group/child-group/direct", params={"groupname": "parent"}, json={"name": "child"}
        )
        again = client.post(
            "/group/child-group/direct", params={"groupname": "parent"}, json={"name": "child"}
        )
        direct = client.get("/group/user/direct", params={"groupname": "parent"}).json()
        nested = client.get("/group/user/nested", params={"groupname": "parent"}).json()
        parents = client.get("/group/parent-group/direct", params={"groupname": "child"}).json()
        user_nested = client.get("/user/group/nested", params={"username": "admin"}).json()
        removed = client.delete(
            "/group/child-group/direct", params={"groupname": "parent", "child-groupname": "child"}
        )
    assert added.status_code == 201 and again.status_code == 409
    assert direct["users"] == []
    assert [u["name"] for u in nested["users"]] == ["admin"]
    assert [g["name"] for g in parents["groups"]] == ["parent"]
    assert {g["name"] for g in user_nested["groups"]} == {"crowd-administrators", "child", "parent"}
    assert removed.status_code == 204


def test_nested_groups_can_be_switched_off(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(nested_groups=False)
    with crowd.client() as client:
        client.post("/group", json={"name": "a"})
        client.post("/group", json={"name": "b"})
        refused = client.post("/group/child-group/direct", params={"groupname": "a"}, json={"name": "b"})
    assert refused.status_code == 400 and refused.json()["reason"] == "NESTED_GROUPS_NOT_SUPPORTED"


def test_update_and_delete_group(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/group", json={"name": "devs"})
        client.post("/group/user/direct", params={"groupname": "devs"}, json={"name": "admin"})
        updated = client.put(
            "/group", params={"groupname": "devs"}, json={"name": "devs", "description": "x"}
        )
        deleted = client.delete("/group", params={"groupname": "devs"})
        gone = client.delete("/group", params={"groupname": "devs"})
    assert updated.status_code == 200 and updated.json()["description"] == "x"
    assert deleted.status_code == 204 and gone.status_code == 404
    assert crowd.sandbox.state.user_by_name("admin").groups == {"crowd-administrators"}  # type: ignore[union-attr]
