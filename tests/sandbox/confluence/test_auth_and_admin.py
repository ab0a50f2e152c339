"""Authentication (PAT, Basic, bad credentials, non-admins), injected faults in Confluence's error
format, and the shared /_sandbox/ admin API."""

from __future__ import annotations

import httpx

from tests.fixtures.confluence import ConfluenceFactory


def test_bad_credentials_get_a_401_page_and_basic_auth_works(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    bad_pat = httpx.get(f"{confluence.url}/rest/api/user/current", headers={"Authorization": "Bearer nope"})
    bad_basic = httpx.get(f"{confluence.url}/rest/api/user/current", auth=("admin", "wrong"))
    basic = httpx.get(f"{confluence.url}/rest/api/user/current", auth=("admin", "admin"))
    anonymous_admin = httpx.post(f"{confluence.url}/rest/api/admin/group", json={"name": "x"})
    assert bad_pat.status_code == bad_basic.status_code == 401
    assert bad_pat.headers["content-type"].startswith("text/html")
    assert basic.json()["username"] == "admin"
    assert anonymous_admin.status_code == 401 and anonymous_admin.json()["statusCode"] == 401


def test_a_non_admin_cannot_administer(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        bob = {"userName": "bob", "fullName": "Bob", "email": "b@example.com", "password": "pw"}
        client.post("/rest/api/admin/user", json=bob).raise_for_status()
    response = httpx.post(f"{confluence.url}/rest/api/admin/group", json={"name": "x"}, auth=("bob", "pw"))
    assert response.status_code == 403


def test_injected_faults_use_the_confluence_error_body(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(write_fail_rate=1.0)
    with confluence.client() as client:
        write = client.post("/rest/api/admin/group", json={"name": "x"})
        read = client.get("/rest/api/user/current")
    assert write.status_code == 500 and write.json()["statusCode"] == 500
    assert read.status_code == 200
    assert confluence.sandbox.state.group("x") is None


def test_fault_rules_state_stats_and_reset(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=25)
    admin = f"{confluence.url}/_sandbox"
    rule = {"method": "GET", "path": "/rest/api/group/confluence-users/member", "skip": 1, "status": 503}
    assert httpx.put(f"{admin}/faults", json={"rules": [rule]}).status_code == 200
    with confluence.client() as client:
        codes = [client.get("/rest/api/group/confluence-users/member").status_code for _ in range(3)]
        client.post("/rest/api/admin/group", json={"name": "temp"}).raise_for_status()
    assert codes == [200, 503, 200]
    state = httpx.get(f"{admin}/state").json()
    assert "temp" in [g["name"] for g in state["groups"]] and len(state["users"]) == 26
    stats = httpx.get(f"{admin}/stats").json()
    assert stats["POST /rest/api/admin/group"] == 1
    assert stats["GET /rest/api/group/{name}/member"] == 2
    assert httpx.post(f"{admin}/reset").status_code == 204
    assert confluence.sandbox.state.group("temp") is None
    assert httpx.get(f"{admin}/stats").json() == {}


def test_generation_is_deterministic(confluence_sandbox: ConfluenceFactory) -> None:
    one = confluence_sandbox(users=60, seed=9).sandbox.state.dump()
    two = confluence_sandbox(users=60, seed=9).sandbox.state.dump()
    fields = ("userKey", "username", "displayName", "active", "groups")
    assert [[u[f] for f in fields] for u in one["users"]] == [[u[f] for f in fields] for u in two["users"]]
    assert one["groups"] == two["groups"]
    assert len([g for g in one["groups"] if g["name"].startswith("team-")]) == 3
