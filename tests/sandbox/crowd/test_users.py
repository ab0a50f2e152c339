"""User resources: create (password required, 201 with Location), get by name or key, full-replace
update, deactivate through `active`, rename keeping the key, password, attributes, delete."""

from __future__ import annotations

from typing import Any

from tests.fixtures.crowd import CrowdFactory

NEW: dict[str, Any] = {
    "name": "JDoe",
    "password": {"value": "Pw-123456"},
    "active": True,
    "first-name": "John",
    "last-name": "Doe",
    "display-name": "John Doe",
    "email": "jdoe@example.com",
}


def test_create_answers_201_with_location_and_a_stable_key(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        created = client.post("/user", json=NEW)
        assert created.status_code == 201
        assert created.headers["location"].endswith("/rest/usermanagement/1/user?username=JDoe")
        key = created.json()["key"]
        assert key.startswith("32769:")
        by_name = client.get("/user", params={"username": "jdoe"}).json()
        by_key = client.get("/user", params={"key": key}).json()
    assert by_name == by_key
    assert by_name["name"] == "JDoe"  # Crowd keeps the case it was given
    assert by_name["display-name"] == "John Doe"
    assert by_name["link"]["rel"] == "self"
    assert "attributes" not in by_name["attributes"]  # not expanded
    assert crowd.sandbox.state.user_by_name("jdoe") is not None


def test_create_needs_a_password_and_a_free_name(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        no_password = client.post("/user", json={k: v for k, v in NEW.items() if k != "password"})
        client.post("/user", json=NEW)
        duplicate = client.post("/user", json=NEW | {"name": "jdoe"})
        bad_email = client.post("/user", json=NEW | {"name": "x", "email": "not an email"})
    assert no_password.status_code == 400
    assert duplicate.status_code == 400
    assert duplicate.json() == {"reason": "INVALID_USER", "message": "User <jdoe> already exists"}
    assert bad_email.status_code == 400
    assert bad_email.json()["reason"] == "INVALID_EMAIL"


def test_get_unknown_user_is_404_user_not_found(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        missing = client.get("/user", params={"username": "jdoe"})
        no_param = client.get("/user")
    assert missing.status_code == 404
    assert missing.json() == {"reason": "USER_NOT_FOUND", "message": "User <jdoe> does not exist"}
    assert no_param.status_code == 400


def test_put_replaces_the_names_and_active_deactivates(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/user", json=NEW)
        partial = client.put("/user", params={"username": "jdoe"}, json={"name": "jdoe", "active": False})
        assert partial.status_code == 204
        user = client.get("/user", params={"username": "jdoe"}).json()
        assert user["active"] is False
        assert user["email"] == "" and user["first-name"] == ""  # left-out fields are replaced
        mismatch = client.put("/user", params={"username": "jdoe"}, json={"name": "other"})
        missing = client.put("/user", params={"username": "nobody"}, json={"name": "nobody"})
    assert mismatch.status_code == 400
    assert missing.status_code == 404


def test_rename_keeps_key_and_memberships(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        key = client.post("/user", json=NEW).json()["key"]
        client.post("/group", json={"name": "devs", "type": "GROUP"})
        client.post("/group/user/direct", params={"groupname": "devs"}, json={"name": "jdoe"})
        renamed = client.post("/user/rename", params={"username": "jdoe"}, json={"new-name": "john.doe"})
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "john.doe" and renamed.json()["key"] == key
        assert client.get("/user", params={"username": "jdoe"}).status_code == 404
        members = client.get("/group/user/direct", params={"groupname": "devs"}).json()
        taken = client.post("/user/rename", params={"username": "john.doe"}, json={"new-name": "admin"})
    assert [m["name"] for m in members["users"]] == ["john.doe"]
    assert taken.status_code == 400


def test_attributes_merge_expand_and_delete(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/user", json=NEW)
        body = {"attributes": [{"name": "department", "values": ["R&D"]}, {"name": "site", "values": ["B"]}]}
        assert client.post("/user/attribute", params={"username": "jdoe"}, json=body).status_code == 204
        later = {"attributes": [{"name": "department", "values": ["Sales"]}]}
        client.post("/user/attribute", params={"username": "jdoe"}, json=later)
        user = client.get("/user", params={"username": "jdoe", "expand": "attributes"}).json()
        values = {a["name"]: a["values"] for a in user["attributes"]["attributes"]}
        assert values == {"department": ["Sales"], "site": ["B"]}
        gone = client.delete("/user/attribute", params={"username": "jdoe", "attributename": "site"})
        again = client.delete("/user/attribute", params={"username": "jdoe", "attributename": "site"})
        listed = client.get("/user/attribute", params={"username": "jdoe"}).json()
    assert gone.status_code == again.status_code == 204
    assert [a["name"] for a in listed["attributes"]] == ["department"]


def test_password_and_delete(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/user", json=NEW)
        assert (
            client.put("/user/password", params={"username": "jdoe"}, json={"value": "N3w!"}).status_code
            == 204
        )
        assert (
            client.put("/user/password", params={"username": "jdoe"}, json={"value": ""}).status_code == 400
        )
        assert client.delete("/user", params={"username": "jdoe"}).status_code == 204
        assert client.delete("/user", params={"username": "jdoe"}).status_code == 404
    assert crowd.sandbox.state.user_by_name("jdoe") is None


def test_writes_need_the_directory_permission(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(permissions=frozenset({"UPDATE_USER"}))
    with crowd.client() as client:
        refused = client.post("/user", json=NEW)
        allowed = client.put(
            "/user", params={"username": "admin"},
            json={"name": "admin", "display-name": "Boss", "email": "a@example.com"},
        )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["reason"] == "APPLICATION_PERMISSION_DENIED"
    assert allowed.status_code == 204
