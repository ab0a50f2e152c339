"""The Jira DC emulator's /rest/servicedeskapi over HTTP: desks, creating customers, a desk's
customers (paging on isLastPage, the GET/DELETE flag), the error body, unlicensed JSM, and
atlassian-python-api's ServiceDesk driving it unchanged."""

from __future__ import annotations

import signal
from collections.abc import Callable

import httpx
import pytest
from atlassian import ServiceDesk

from tests.fixtures.sandbox import RunningJira
from tests.sandbox.jira.test_cli import _start

JiraFactory = Callable[..., RunningJira]
API = "/rest/servicedeskapi"
OPT_IN = {"X-ExperimentalApi": "opt-in"}


def make(client: httpx.Client, email: str, name: str = "Some One") -> httpx.Response:
    """POST /customer."""
    return client.post(f"{API}/customer", json={"email": email, "fullName": name})


def add(client: httpx.Client, desk: int, *names: str) -> httpx.Response:
    """POST a desk's customers by username (or e-mail)."""
    return client.post(f"{API}/servicedesk/{desk}/customer", json={"usernames": list(names)})


def remove(client: httpx.Client, desk: int, *names: str) -> httpx.Response:
    """DELETE a desk's customers."""
    return client.request("DELETE", f"{API}/servicedesk/{desk}/customer", json={"usernames": list(names)})


@pytest.fixture
def jira(jira_sandbox: JiraFactory) -> RunningJira:
    """A Jira with two service desks (ITH, HR) and nobody but the admin."""
    return jira_sandbox(service_desks=("ITH", "HR"))


def test_info_needs_no_login_and_says_licensed(jira: RunningJira) -> None:
    with jira.client(headers={}) as anonymous:
        body = anonymous.get(f"{API}/info").json()
    assert body["isLicensedForUse"] is True
    assert {"version", "platformVersion", "buildDate", "buildChangeSet", "_links"} <= set(body)


def test_service_desks_page_with_string_ids(jira: RunningJira) -> None:
    with jira.client() as client:
        first = client.get(f"{API}/servicedesk", params={"limit": 1}).json()
        second = client.get(f"{API}/servicedesk", params={"start": 1, "limit": 1}).json()
    assert first["isLastPage"] is False and first["size"] == 1 and "next" in first["_links"]
    assert first["values"][0]["projectKey"] == "ITH" and first["values"][0]["id"] == "1"
    assert second["isLastPage"] is True and second["values"][0]["projectKey"] == "HR"
    assert "total" not in first


def test_create_customer_makes_a_portal_only_user_named_by_email(jira: RunningJira) -> None:
    with jira.client() as client:
        created = make(client, "Fred@example.com", "Fred F. User")
        user = client.get("/rest/api/2/user", params={"username": "fred@example.com",
                                                     "expand": "applicationRoles"}).json()
        again = make(client, "fred@example.com")
    assert created.status_code == 201
    assert created.json()["name"] == "fred@example.com" and "accountId" not in created.json()
    assert user["applicationRoles"] == {"size": 0, "items": []}
    assert again.status_code == 400
    error = again.json()
    assert set(error) == {"errorMessage", "i18nErrorMessage"}
    assert error["i18nErrorMessage"]["parameters"] == ["fred@example.com"]


def test_agents_have_the_servicedesk_application_role(jira: RunningJira) -> None:
    with jira.client() as client:
        params = {"username": "admin", "expand": "applicationRoles"}
        admin = client.get("/rest/api/2/user", params=params).json()
    assert {r["key"] for r in admin["applicationRoles"]["items"]} == {"jira-software", "jira-servicedesk"}


def test_add_resolves_usernames_then_emails_and_reports_unknown_ones(jira: RunningJira) -> None:
    with jira.client() as client:
        make(client, "ann@example.com").raise_for_status()
        make(client, "bob@example.com").raise_for_status()
        ok = add(client, 1, "ann@example.com")
        partly = add(client, 1, "BOB@example.com", "nobody@example.com")
        listed = client.get(f"{API}/servicedesk/1/customer", headers={**client.headers, **OPT_IN}).json()
    assert ok.status_code == 204
    assert partly.status_code == 400
    assert partly.json()["i18nErrorMessage"]["parameters"] == ["nobody@example.com"]
    assert [c["name"] for c in listed["values"]] == ["ann@example.com", "bob@example.com"]


def test_remove_is_204_also_for_a_non_member(jira: RunningJira) -> None:
    with jira.client() as client:
        make(client, "ann@example.com").raise_for_status()
        add(client, 2, "ann@example.com").raise_for_status()
        first = remove(client, 2, "ann@example.com")
        second = remove(client, 2, "ann@example.com")
    assert (first.status_code, second.status_code) == (204, 204)
    assert jira.sandbox.state.service_desks[2].customers == set()


def test_customer_listing_pages_on_is_last_page(jira: RunningJira) -> None:
    with jira.client() as client:
        for n in range(5):
            email = f"c{n}@example.com"
            make(client, email).raise_for_status()
            add(client, 1, email).raise_for_status()
        seen: list[str] = []
        start = 0
        while True:
            page = client.get(f"{API}/servicedesk/1/customer", params={"start": start, "limit": 2}).json()
            seen += [c["name"] for c in page["values"]]
            if page["isLastPage"]:
                break
            start += page["size"]
    assert seen == [f"c{n}@example.com" for n in range(5)]


def test_without_the_listing_get_and_delete_are_405(jira_sandbox: JiraFactory) -> None:
    jira = jira_sandbox(service_desks=("ITH",), desk_customer_listing=False)
    with jira.client() as client:
        listing = client.get(f"{API}/servicedesk/1/customer")
        removal = remove(client, 1, "admin")
        adding = add(client, 1, "admin")
    assert (listing.status_code, removal.status_code, adding.status_code) == (405, 405, 204)


def test_unknown_desk_is_404_in_the_servicedeskapi_shape(jira: RunningJira) -> None:
    with jira.client() as client:
        response = add(client, 99, "admin")
        by_key = client.get(f"{API}/servicedesk/ITH")
    assert response.status_code == 404 and "errorMessage" in response.json()
    assert by_key.status_code == 404, "project-key aliases are Cloud's; unverified on DC"


def test_unlicensed_jsm_answers_403_html_except_info(jira_sandbox: JiraFactory) -> None:
    jira = jira_sandbox(service_desks=("ITH",), jsm_licensed=False)
    with jira.client() as client:
        desks = client.get(f"{API}/servicedesk")
        info = client.get(f"{API}/info").json()
    assert desks.status_code == 403 and desks.headers["content-type"].startswith("text/html")
    assert info["isLicensedForUse"] is False


def test_writes_need_a_jira_administrator(jira: RunningJira) -> None:
    with jira.client() as admin:
        admin.post("/rest/api/2/user", json={"name": "agent", "password": "pw",
                                            "emailAddress": "a@example.com",
                                            "displayName": "Agent"}).raise_for_status()
    with jira.client(headers={}, auth=("agent", "pw")) as agent:
        response = make(agent, "x@example.com")
    assert response.status_code == 403 and "errorMessage" in response.json()


def test_atlassian_python_api_service_desk_works_unchanged(jira: RunningJira) -> None:
    desk = ServiceDesk(url=jira.url, username=jira.username, password=jira.password)

    created = desk.create_customer("Fred F. User", "fred@example.com")
    desks = desk.get_service_desks()
    ith = next(d["id"] for d in desks if d["projectKey"] == "ITH")
    desk.add_customers(ith, list_of_usernames=[created["name"]])
    customers = desk.get_customers(ith)
    desk.remove_customers(ith, list_of_usernames=[created["name"]])
    after = desk.get_customers(ith)

    assert [d["projectKey"] for d in desks] == ["ITH", "HR"]
    assert [c["emailAddress"] for c in customers["values"]] == ["fred@example.com"]
    assert after["values"] == []


def test_the_cli_serves_the_service_desks_it_is_given() -> None:
    url, process = _start(["--users", "0", "--projects", "0",
                           "--service-desk", "ITH", "--service-desk", "HR"])
    try:
        desks = httpx.get(f"{url}{API}/servicedesk", headers={"Authorization": "Bearer t0k"}).json()
        assert [d["projectKey"] for d in desks["values"]] == ["ITH", "HR"]
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "service desks: ITH, HR" in output
