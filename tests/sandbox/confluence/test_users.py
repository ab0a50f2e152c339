"""Users over real HTTP: Person reads with expansions, /user/list paging by `_links.next`, the admin
user endpoints (create rules, update, disable / enable, password) and asynchronous deletion."""

from __future__ import annotations

import httpx

from tests.fixtures.confluence import ConfluenceFactory

NEW = {"userName": "jdoe", "fullName": "John Doe", "email": "jdoe@example.com", "password": "S3cret!",
       "notifyViaEmail": False}  # fmt: skip


def test_person_by_username_and_key_with_expansions(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=5)
    user = sorted(confluence.sandbox.state.users.values(), key=lambda u: u.name)[0]
    with confluence.client() as client:
        by_name = client.get("/rest/api/user", params={"username": user.name.upper()}).json()
        by_key = client.get(
            "/rest/api/user", params={"key": user.key, "expand": "status,details.personal"}
        ).json()
    assert by_name["type"] == "known"
    assert by_name["userKey"] == user.key and by_name["username"] == user.name
    assert "status" not in by_name and "status" in by_name["_expandable"]
    assert by_key["status"] == ("Active" if user.active else "Deactivated")
    assert by_key["details"]["personal"]["email"] == user.email
    assert len(user.key) == 32


def test_unknown_user_is_a_404_in_confluence_error_format(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        response = client.get("/rest/api/user", params={"username": "nobody"})
        missing_param = client.get("/rest/api/user")
    assert response.status_code == 404
    body = response.json()
    assert body["statusCode"] == 404 and body["reason"] == "Not Found"
    assert set(body["data"]) == {"authorized", "valid", "allowedInReadOnlyMode", "errors", "successful"}
    assert "nobody" in body["message"]
    assert missing_param.status_code == 400


def test_current_user_and_anonymous(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        me = client.get("/rest/api/user/current").json()
    anonymous = httpx.get(f"{confluence.url}/rest/api/user/current").json()
    assert me["username"] == "admin"
    assert anonymous["type"] == "anonymous"


def test_user_list_pages_by_links_next_and_includes_disabled(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=450, seed=4)
    state = confluence.sandbox.state
    assert any(not u.active for u in state.users.values())
    seen: list[str] = []
    pages = 0
    with confluence.client() as client:
        url: str | None = "/rest/api/user/list?limit=500&expand=status"
        while url is not None:
            body = client.get(url).json()
            pages += 1
            assert body["limit"] == 200  # capped silently
            assert "totalCount" not in body
            seen += [p["username"] for p in body["results"]]
            url = body["_links"].get("next")
    assert pages == 3
    assert seen == sorted(u.name for u in state.users.values())


def test_create_user_answers_201_with_the_user_key_and_adds_the_default_group(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        created = client.post("/rest/api/admin/user", json=NEW)
        again = client.post("/rest/api/admin/user", json=NEW)
        login = httpx.get(f"{confluence.url}/rest/api/user/current", auth=("jdoe", "S3cret!"))
    assert created.status_code == 201
    user = confluence.sandbox.state.user_by_name("jdoe")
    assert user is not None and created.json() == {"userKey": user.key}
    assert user.groups == {"confluence-users"}
    assert again.status_code == 409
    assert login.json()["username"] == "jdoe"


def test_create_user_validates_the_documented_rules(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    cases = [
        {"userName": "JDoe"},
        {"userName": "j doe"},
        {"userName": "j,doe"},
        {"userName": "anonymous"},
        {"email": "not-an-email"},
        {"password": None},
        {"notifyViaEmail": True},  # with a password: it must be absent then
    ]
    with confluence.client() as client:
        for change in cases:
            body = {k: v for k, v in {**NEW, **change}.items() if v is not None}
            response = client.post("/rest/api/admin/user", json=body)
            assert response.status_code == 400, change
            assert response.json()["data"]["valid"] is False
        notify = {k: v for k, v in NEW.items() if k != "password"} | {"notifyViaEmail": True}
        assert client.post("/rest/api/admin/user", json=notify).status_code == 201


def test_update_disable_enable_and_password(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        client.post("/rest/api/admin/user", json=NEW).raise_for_status()
        update = client.put("/rest/api/admin/user/jdoe", json={"fullName": "Jane Doe"})
        codes = [client.put("/rest/api/admin/user/jdoe/disable").status_code for _ in range(2)]
        status = client.get("/rest/api/user", params={"username": "jdoe", "expand": "status"}).json()
        blocked = httpx.get(f"{confluence.url}/rest/api/user/current", auth=("jdoe", "S3cret!"))
        codes += [client.put("/rest/api/admin/user/jdoe/enable").status_code for _ in range(2)]
        password = client.post("/rest/api/admin/user/jdoe/password", json={"password": "n3w"})
        missing = client.put("/rest/api/admin/user/nobody/disable")
    user = confluence.sandbox.state.user_by_name("jdoe")
    assert update.status_code == 204
    assert user is not None and (user.display_name, user.email) == ("Jane Doe", "jdoe@example.com")
    assert codes == [204, 204, 204, 204]
    assert status["status"] == "Deactivated"
    assert blocked.status_code == 401
    assert password.status_code == 204 and user.password == "n3w" and user.active
    assert missing.status_code == 404


def test_delete_is_a_long_task_and_the_user_goes_when_it_finishes(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox(delete_task_seconds=30)
    with confluence.client() as client:
        client.post("/rest/api/admin/user", json=NEW).raise_for_status()
        submitted = client.delete("/rest/api/admin/user/jdoe")
        assert submitted.status_code == 202
        status_path = submitted.json()["links"]["status"]
        assert status_path == f"/rest/api/longtask/{submitted.json()['id']}"
        running = client.get(status_path).json()
        assert running["finished"] is False
        assert confluence.sandbox.state.user_by_name("jdoe") is not None
        httpx.post(f"{confluence.url}/_sandbox/clock", json={"advance_seconds": 31})
        done = client.get(status_path).json()
        assert client.get("/rest/api/longtask/no-such-task").status_code == 404
    assert done["finished"] is True and done["successful"] is True
    assert done["percentageComplete"] == 100
    assert {"id", "name", "elapsedTime", "messages"} <= set(done)
    assert confluence.sandbox.state.user_by_name("jdoe") is None
    assert "jdoe" not in confluence.sandbox.state.groups["confluence-users"].members


def test_a_failing_delete_task_keeps_the_user_and_says_why(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(delete_task_seconds=0, failing_deletes={"jdoe"})
    with confluence.client() as client:
        client.post("/rest/api/admin/user", json=NEW).raise_for_status()
        status_path = client.delete("/rest/api/admin/user/jdoe").json()["links"]["status"]
        status = client.get(status_path).json()
        self_delete = client.get(client.delete("/rest/api/admin/user/admin").json()["links"]["status"]).json()
    assert status["finished"] is True and status["successful"] is False
    assert "could not be removed" in status["messages"][0]["translation"]
    assert self_delete["successful"] is False
    assert confluence.sandbox.state.user_by_name("jdoe") is not None
