"""Seats and global permissions: who holds LICENSED_USER (or higher) through a group or directly, the
403 past the licensed-user tier on every write that would add a seat, and /admin/license."""

from __future__ import annotations

LIMIT_TEXT = "Adding the user to the default group would exceed the server's license limit."


def _user(name, **extra):
    return {
        "name": name,
        "displayName": name.title(),
        "emailAddress": f"{name}@example.com",
        "password": "pw",
        **extra,
    }


def test_generated_data_seeds_a_licence_group_holding_most_users(bitbucket_sandbox):
    bb = bitbucket_sandbox(users=100, seed=2)
    with bb.client() as client:
        held = client.get("/admin/permissions/groups", params={"limit": 100}).json()["values"]
        direct = client.get("/admin/permissions/users").json()["values"]
        without = client.get("/admin/permissions/groups/none", params={"limit": 100}).json()["values"]
    assert {(e["group"]["name"], e["permission"]) for e in held} == {
        ("stash-users", "LICENSED_USER"),
        ("bitbucket-administrators", "ADMIN"),
    }
    assert [(e["user"]["name"], e["permission"]) for e in direct] == [("admin", "SYS_ADMIN")]
    assert without and all(g["name"].startswith("team-") for g in without)
    state = bb.sandbox.state
    unlicensed = [u for u in state.users.values() if not state.is_licensed(u)]
    assert 0 < len(unlicensed) < 20, "a few accounts take no seat"
    assert state.licensed_count() == 101 - len(unlicensed)


def test_creation_past_the_tier_is_refused_with_403_and_creates_nobody(bitbucket_sandbox):
    bb = bitbucket_sandbox(licensed_users=2)
    with bb.client() as client:
        assert client.post("/admin/users", params=_user("ann")).status_code == 204
        refused = client.post("/admin/users", params=_user("bob"))
        unlicensed = client.post("/admin/users", params=_user("cid", addToDefaultGroup="false"))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"] == LIMIT_TEXT
    assert bb.sandbox.state.user_by_name("bob") is None
    assert unlicensed.status_code == 204, "a user without a licence takes no seat"
    assert bb.sandbox.state.licensed_count() == 2


def test_adding_to_a_licence_group_past_the_tier_is_refused_and_changes_nothing(bitbucket_sandbox):
    bb = bitbucket_sandbox(licensed_users=2)
    with bb.client() as client:
        for name in ("ann", "bob"):
            client.post("/admin/users", params=_user(name, addToDefaultGroup="false"))
        client.post("/admin/groups", params={"name": "plain"})
        assert (
            client.post(
                "/admin/users/add-groups", json={"user": "ann", "groups": ["stash-users"]}
            ).status_code
            == 200
        )
        refused = client.post(
            "/admin/users/add-groups", json={"user": "bob", "groups": ["plain", "stash-users"]}
        )
        refused_too = client.post("/admin/groups/add-users", json={"group": "stash-users", "users": ["bob"]})
        plain = client.post("/admin/users/add-groups", json={"user": "bob", "groups": ["plain"]})
        already = client.post(
            "/admin/users/add-groups", json={"user": "ann", "groups": ["bitbucket-administrators"]}
        )
        grant = client.put(
            "/admin/permissions/groups", params={"permission": "LICENSED_USER", "name": "plain"}
        )
        direct = client.put("/admin/permissions/users", params={"permission": "LICENSED_USER", "name": "bob"})
    for response in (refused, refused_too, grant, direct):
        assert response.status_code == 403
        assert "would exceed the server's license limit" in response.json()["errors"][0]["message"]
    assert bb.sandbox.state.user_by_name("bob").groups == {"plain"}, "all or nothing"
    assert plain.status_code == 200
    assert already.status_code == 200, "a licensed user joining another licence group takes no new seat"
    # freeing a seat lets the next one in
    with bb.client() as client:
        assert (
            client.post(
                "/admin/users/remove-group", json={"context": "ann", "itemName": "stash-users"}
            ).status_code
            == 200
        )
        assert (
            client.post(
                "/admin/users/remove-group", json={"context": "ann", "itemName": "bitbucket-administrators"}
            ).status_code
            == 200
        )
        assert (
            client.post(
                "/admin/groups/add-users", json={"group": "stash-users", "users": ["bob"]}
            ).status_code
            == 200
        )


def test_permissions_are_granted_replaced_and_revoked(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=_user("ann", addToDefaultGroup="false"))
        client.post("/admin/groups", params={"name": "g"})
        assert (
            client.put(
                "/admin/permissions/users", params={"permission": "PROJECT_CREATE", "name": "ann"}
            ).status_code
            == 204
        )
        assert (
            client.put(
                "/admin/permissions/groups", params={"permission": "ADMIN", "name": ["g", "stash-users"]}
            ).status_code
            == 204
        )
        bad = client.put("/admin/permissions/groups", params={"permission": "READ", "name": "g"})
        listed = client.get("/admin/permissions/groups").json()["values"]
        assert client.delete("/admin/permissions/users", params={"name": "ann"}).status_code == 204
        assert client.delete("/admin/permissions/groups", params={"name": "g"}).status_code == 204
        own = client.delete("/admin/permissions/users", params={"name": "admin"})
    assert bad.status_code == 400
    assert {(e["group"]["name"], e["permission"]) for e in listed} >= {
        ("g", "ADMIN"),
        ("stash-users", "ADMIN"),
    }
    assert own.status_code == 409, "revoking one's own SYS_ADMIN would lower one's own permissions"
    state = bb.sandbox.state
    assert state.permission_of(state.user_by_name("ann")) is None


def test_admin_routes_need_admin_and_a_licensed_user_sees_user_search(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=_user("ann"))
        client.post("/admin/users", params=_user("bob", addToDefaultGroup="false"))
    with bb.client(headers={}, auth=("ann", "pw")) as ann:
        admin_only = ann.get("/admin/users")
        search = ann.get("/users").json()["values"]
    with bb.client(headers={}, auth=("bob", "pw")) as bob:
        unlicensed = bob.get("/users")
    assert admin_only.status_code == 401, "Bitbucket answers a caller short of ADMIN with 401"
    assert admin_only.json()["errors"][0]["exceptionName"] == "com.atlassian.bitbucket.AuthorisationException"
    assert {u["name"] for u in search} == {"admin", "ann"}, "only licensed users are listed"
    assert unlicensed.status_code == 401


def test_licence_resource_shows_the_tier_and_the_seats_in_use(bitbucket_sandbox):
    unlimited = bitbucket_sandbox(users=10)
    limited = bitbucket_sandbox(users=10, licensed_users=50)
    with unlimited.client() as client:
        body = client.get("/admin/license").json()
    assert body["unlimitedNumberOfUsers"] is True
    assert "maximumNumberOfUsers" not in body
    assert body["status"]["currentNumberOfUsers"] == unlimited.sandbox.state.licensed_count()
    with limited.client() as client:
        body = client.get("/admin/license").json()
    assert body["maximumNumberOfUsers"] == 50
    assert body["unlimitedNumberOfUsers"] is False
