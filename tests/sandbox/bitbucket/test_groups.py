"""Groups and memberships over HTTP: create (409 when taken), the several-at-once membership writes
and the deprecated one-at-a-time forms, both member listings, removal, and the 404s."""

from __future__ import annotations

NO_SUCH_GROUP = "com.atlassian.bitbucket.user.NoSuchGroupException"


def _people(client, *names):
    for name in names:
        client.post(
            "/admin/users",
            params={
                "name": name,
                "displayName": name.title(),
                "emailAddress": f"{name}@example.com",
                "password": "pw",
                "addToDefaultGroup": "false",
            },
        )


def _values(client, path, **params):
    return client.get(path, params=params | {"limit": 1000}).json()["values"]


def test_create_and_list_groups(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        created = client.post("/admin/groups", params={"name": "Team-One"})
        taken = client.post("/admin/groups", params={"name": "team-one"})
        missing = client.post("/admin/groups")
        listed = _values(client, "/admin/groups", filter="team")
        names = _values(client, "/groups")
    assert created.status_code == 200
    assert created.json() == {"name": "Team-One", "deletable": True}
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["message"] == "A group with this name already exists."
    assert missing.status_code == 400
    assert listed == [{"name": "Team-One", "deletable": True}]
    assert names == ["bitbucket-administrators", "stash-users", "Team-One"]


def test_add_groups_and_add_users_take_several_at_once(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        _people(client, "ann", "bob", "cid")
        client.post("/admin/groups", params={"name": "g1"})
        client.post("/admin/groups", params={"name": "g2"})
        assert (
            client.post("/admin/users/add-groups", json={"user": "ANN", "groups": ["g1", "G2"]}).status_code
            == 200
        )
        assert (
            client.post("/admin/groups/add-users", json={"group": "g1", "users": ["bob", "cid"]}).status_code
            == 200
        )
        again = client.post("/admin/users/add-groups", json={"user": "ann", "groups": ["g1"]})
        members = _values(client, "/admin/groups/more-members", context="g1")
        of_ann = _values(client, "/admin/users/more-members", context="ann")
        not_of_ann = _values(client, "/admin/users/more-non-members", context="ann")
        non_members = _values(client, "/admin/groups/more-non-members", context="g2")
    assert again.status_code == 200, "adding an existing membership changes nothing"
    assert [m["name"] for m in members] == ["ann", "bob", "cid"]
    assert members[0]["emailAddress"] == "ann@example.com"
    assert [g["name"] for g in of_ann] == ["g1", "g2"]
    assert {g["name"] for g in not_of_ann} == {"stash-users", "bitbucket-administrators"}
    assert [u["name"] for u in non_members] == ["admin", "bob", "cid"]


def test_a_missing_user_or_group_changes_nothing(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        _people(client, "ann")
        client.post("/admin/groups", params={"name": "g1"})
        no_group = client.post("/admin/users/add-groups", json={"user": "ann", "groups": ["g1", "nope"]})
        no_user = client.post("/admin/groups/add-users", json={"group": "g1", "users": ["ann", "nobody"]})
        members_of_missing = client.get("/admin/groups/more-members", params={"context": "nope"})
        empty_list = client.post("/admin/users/add-groups", json={"user": "ann", "groups": []})
    assert no_group.status_code == 404
    assert no_group.json()["errors"][0]["exceptionName"] == NO_SUCH_GROUP
    assert no_user.status_code == 404
    assert members_of_missing.status_code == 404
    assert empty_list.status_code == 400
    assert bb.sandbox.state.group("g1").members == set()


def test_remove_group_and_the_deprecated_forms(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        _people(client, "ann", "bob")
        client.post("/admin/groups", params={"name": "g1"})
        assert (
            client.post("/admin/users/add-group", json={"context": "ann", "itemName": "g1"}).status_code
            == 200
        )
        assert (
            client.post("/admin/groups/add-user", json={"context": "g1", "itemName": "bob"}).status_code
            == 200
        )
        assert (
            client.post("/admin/users/remove-group", json={"context": "ann", "itemName": "G1"}).status_code
            == 200
        )
        assert (
            client.post("/admin/groups/remove-user", json={"context": "g1", "itemName": "bob"}).status_code
            == 200
        )
        not_member = client.post("/admin/users/remove-group", json={"context": "ann", "itemName": "g1"})
        no_group = client.post("/admin/users/remove-group", json={"context": "ann", "itemName": "zz"})
    assert not_member.status_code == 200
    assert no_group.status_code == 404
    assert bb.sandbox.state.group("g1").members == set()


def test_delete_group_takes_its_permission_with_it(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/groups", params={"name": "licensed"})
        assert (
            client.put(
                "/admin/permissions/groups", params={"permission": "LICENSED_USER", "name": "licensed"}
            ).status_code
            == 204
        )
        deleted = client.delete("/admin/groups", params={"name": "LICENSED"})
        again = client.delete("/admin/groups", params={"name": "licensed"})
    assert deleted.status_code == 200
    assert deleted.json()["name"] == "licensed"
    assert again.status_code == 404
    assert "licensed" not in bb.sandbox.state.group_permissions


def test_member_pages_are_complete(bitbucket_sandbox):
    bb = bitbucket_sandbox(users=120, seed=3)
    seen: list[str] = []
    with bb.client() as client:
        start = 0
        while True:
            page = client.get(
                "/admin/groups/more-members", params={"context": "stash-users", "start": start, "limit": 50}
            ).json()
            seen += [u["name"] for u in page["values"]]
            if page["isLastPage"]:
                break
            start = page["nextPageStart"]
    group = bb.sandbox.state.group("stash-users")
    assert len(seen) == len(group.members) == len(set(seen))
