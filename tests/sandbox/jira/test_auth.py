"""Authentication: Basic, PAT (Bearer), bad credentials, anonymous calls, permissions, the latest alias."""

from __future__ import annotations

import httpx


def test_pat_and_basic_both_authenticate_as_the_admin(jira_sandbox):
    jira = jira_sandbox(token="t0k", username="boss", password="s3cret")
    with jira.client() as pat, jira.client(headers={}, auth=("boss", "s3cret")) as basic:
        for client in (pat, basic):
            response = client.get("/rest/api/2/myself")
            assert response.status_code == 200
            assert response.json()["name"] == "boss"
            assert response.json()["key"] == "JIRAUSER10000"


def test_bad_credentials_are_refused_by_the_auth_filter_without_json(jira_sandbox):
    jira = jira_sandbox(token="t0k")
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!!"}):
        response = httpx.get(f"{jira.url}/rest/api/2/myself", headers=headers)
        assert response.status_code == 401
        assert response.headers["x-seraph-loginreason"] == "AUTHENTICATED_FAILED"
        assert response.headers["content-type"].startswith("text/html")
    wrong_password = httpx.get(f"{jira.url}/rest/api/2/myself", auth=(jira.username, "nope"))
    assert wrong_password.status_code == 401
    assert "nope" not in wrong_password.text


def test_anonymous_gets_json_401_but_server_info_is_public(jira_sandbox):
    jira = jira_sandbox(version=10, deployment_type="DataCenter")
    response = httpx.get(f"{jira.url}/rest/api/2/user?username=admin")
    assert response.status_code == 401
    assert response.json()["errors"] == {}
    assert "not authenticated" in response.json()["errorMessages"][0]
    info = httpx.get(f"{jira.url}/rest/api/2/serverInfo").json()
    assert info["versionNumbers"][0] == 10
    assert info["version"].startswith("10.")
    assert info["deploymentType"] == "DataCenter"


def test_latest_is_an_alias_of_2(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        latest = client.get("/rest/api/latest/user", params={"username": "admin"})
        v2 = client.get("/rest/api/2/user", params={"username": "admin"})
    assert latest.status_code == 200
    assert latest.json() == v2.json()


def test_non_admin_user_cannot_write_but_can_read(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as admin:
        created = admin.post(
            "/rest/api/2/user",
            json={
                "name": "Reader",
                "password": "pw",
                "emailAddress": "reader@example.com",
                "displayName": "Rea Der",
            },
        )
        assert created.status_code == 201
    with jira.client(headers={}, auth=("reader", "pw")) as reader:
        assert reader.get("/rest/api/2/myself").json()["name"] == "reader"
        refused = reader.post("/rest/api/2/group", json={"name": "mine"})
        assert refused.status_code == 403
        assert refused.json()["errorMessages"]


def test_inactive_user_cannot_log_in(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as admin:
        admin.post(
            "/rest/api/2/user",
            json={"name": "gone", "password": "pw", "emailAddress": "g@example.com", "displayName": "Gone"},
        )
        assert httpx.get(f"{jira.url}/rest/api/2/myself", auth=("gone", "pw")).status_code == 200
        admin.put("/rest/api/2/user", params={"username": "gone"}, json={"active": False})
    assert httpx.get(f"{jira.url}/rest/api/2/myself", auth=("gone", "pw")).status_code == 401


def test_a_password_set_over_rest_is_the_one_basic_auth_accepts(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as admin:
        admin.post(
            "/rest/api/2/user", json={"name": "pat", "emailAddress": "p@example.com", "displayName": "P"}
        )
        assert httpx.get(f"{jira.url}/rest/api/2/myself", auth=("pat", "new")).status_code == 401
        changed = admin.put("/rest/api/2/user/password", params={"username": "pat"}, json={"password": "new"})
        assert changed.status_code == 204
        empty = admin.put("/rest/api/2/user/password", params={"username": "pat"}, json={})
        assert empty.status_code == 400
        assert "password" in empty.json()["errors"]
    assert httpx.get(f"{jira.url}/rest/api/2/myself", auth=("pat", "new")).status_code == 200
