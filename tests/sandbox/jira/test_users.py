"""User CRUD: create with validation errors, case-insensitive uniqueness, update, rename, `active` as a
boolean and as strings (atlassian-python-api sends strings), delete, user properties."""

from __future__ import annotations

import pytest

NEW = {"name": "JDoe", "password": "pw", "emailAddress": "jdoe@example.com", "displayName": "John Doe"}


def test_create_stores_the_username_lower_case_and_gives_a_jirauser_key(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        response = client.post("/rest/api/2/user", json=NEW)
        assert response.status_code == 201
        user = response.json()
        assert user["name"] == "jdoe"
        assert user["key"] == "JIRAUSER10001"
        assert user["active"] is True
        assert user["self"].endswith("/rest/api/2/user?username=jdoe")
        by_key = client.get("/rest/api/2/user", params={"key": "JIRAUSER10001"}).json()
        by_name = client.get("/rest/api/2/user", params={"username": "JDOE"}).json()
    assert by_key == by_name == user
    assert jira.sandbox.state.user_by_name("jdoe") is not None


def test_usernames_are_unique_case_insensitively(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        duplicate = client.post(
            "/rest/api/2/user", json=NEW | {"name": "JDOE", "emailAddress": "x@example.com"}
        )
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "errorMessages": [],
        "errors": {"username": "A user with that username already exists."},
    }


def test_create_reports_every_invalid_field(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        response = client.post("/rest/api/2/user", json={"name": "", "emailAddress": "not-an-email"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "displayName"}


def test_get_unknown_user_and_missing_parameter(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        missing = client.get("/rest/api/2/user", params={"username": "nobody"})
        no_param = client.get("/rest/api/2/user")
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == [
        "Specified user does not exist or you do not have required permissions"
    ]
    assert no_param.status_code == 400


def test_update_changes_only_given_fields_and_rename_keeps_the_key(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        key = client.post("/rest/api/2/user", json=NEW).json()["key"]
        client.post(
            "/rest/api/2/group/user", params={"groupname": "jira-administrators"}, json={"name": "jdoe"}
        )
        renamed = client.put(
            "/rest/api/2/user",
            params={"username": "jdoe"},
            json={"name": "John.Doe", "displayName": "Johnny Doe"},
        )
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "john.doe"
        assert renamed.json()["key"] == key
        assert renamed.json()["emailAddress"] == "jdoe@example.com"
        assert client.get("/rest/api/2/user", params={"username": "jdoe"}).status_code == 404
        members = client.get("/rest/api/2/group/member", params={"groupname": "jira-administrators"}).json()
    assert "john.doe" in [m["name"] for m in members["values"]]


def test_rename_onto_an_existing_username_is_refused(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        response = client.put("/rest/api/2/user", params={"username": "jdoe"}, json={"name": "ADMIN"})
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


@pytest.mark.parametrize(("deactivate", "reactivate"), [(False, True), ("false", "true"), ("FALSE", "True")])
def test_active_accepts_booleans_and_strings(jira_sandbox, deactivate, reactivate):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        off = client.put(
            "/rest/api/2/user", params={"username": "jdoe"}, json={"name": "jdoe", "active": deactivate}
        )
        assert off.status_code == 200
        assert off.json()["active"] is False
        on = client.put("/rest/api/2/user", params={"key": "JIRAUSER10001"}, json={"active": reactivate})
        assert on.json()["active"] is True


def test_active_with_another_value_is_a_field_error(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        response = client.put("/rest/api/2/user", params={"username": "jdoe"}, json={"active": "no"})
    assert response.status_code == 400
    assert "active" in response.json()["errors"]
    assert "'no'" in response.json()["errors"]["active"]


def test_the_caller_cannot_deactivate_or_delete_itself(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        deactivate = client.put("/rest/api/2/user", params={"username": "admin"}, json={"active": False})
        delete = client.delete("/rest/api/2/user", params={"username": "admin"})
    assert deactivate.status_code == 400
    assert deactivate.json()["errorMessages"]
    assert delete.status_code == 400


def test_delete_removes_user_and_memberships(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        assert client.delete("/rest/api/2/user", params={"username": "JDOE"}).status_code == 204
        assert client.get("/rest/api/2/user", params={"username": "jdoe"}).status_code == 404
        assert client.delete("/rest/api/2/user", params={"username": "jdoe"}).status_code == 404
        members = client.get("/rest/api/2/group/member", params={"groupname": "jira-software-users"}).json()
    assert [m["name"] for m in members["values"]] == ["admin"]


def test_user_properties_round_trip(jira_sandbox):
    jira = jira_sandbox()
    path = "/rest/api/2/user/properties"
    with jira.client() as client:
        client.post("/rest/api/2/user", json=NEW)
        assert client.get(f"{path}/idsync.link", params={"username": "jdoe"}).status_code == 404
        created = client.put(
            f"{path}/idsync.link", params={"username": "jdoe"}, json={"source": "okta", "n": 1}
        )
        assert created.status_code == 201
        updated = client.put(f"{path}/idsync.link", params={"username": "JDoe"}, json={"source": "ldap"})
        assert updated.status_code == 200
        got = client.get(f"{path}/idsync.link", params={"userKey": "JIRAUSER10001"})
        assert got.json() == {"key": "idsync.link", "value": {"source": "ldap"}}
        keys = client.get(path, params={"username": "jdoe"}).json()["keys"]
        assert [k["key"] for k in keys] == ["idsync.link"]
        assert client.delete(f"{path}/idsync.link", params={"username": "jdoe"}).status_code == 204
        assert client.get(path, params={"username": "jdoe"}).json() == {"keys": []}
        assert client.get(path, params={"username": "ghost"}).status_code == 404
