"""The Jira Cloud site emulator over HTTP: accountIds and qm: portal-only accounts, 201 on create,
strictConflictStatusCode, X-ExperimentalApi (412 without), the burst bucket of a desk's customer
list, project-key aliases, the user search by e-mail, and atlassian-python-api unchanged."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from atlassian import ServiceDesk

from tests.fixtures.jira_cloud import RunningJiraCloud

CloudFactory = Callable[..., RunningJiraCloud]
API = "/rest/servicedeskapi"
OPT_IN = {"X-ExperimentalApi": "opt-in"}


def make(client: httpx.Client, email: str, **params: str) -> httpx.Response:
    """POST /customer."""
    return client.post(f"{API}/customer", params=params, json={"email": email, "displayName": "Some One"})


def change(client: httpx.Client, method: str, desk: str, *accounts: str) -> httpx.Response:
    """POST or DELETE a desk's customers by accountId."""
    return client.request(method, f"{API}/servicedesk/{desk}/customer", json={"accountIds": list(accounts)})


@pytest.fixture
def site(jira_cloud_sandbox: CloudFactory) -> RunningJiraCloud:
    """A site with desks ITH and HR (HR open to public signup), no burst limit."""
    return jira_cloud_sandbox(service_desks=("ITH", "HR"), open_desks=("HR",), customer_burst_per_second=None)


def test_create_customer_is_201_with_a_portal_only_account(site: RunningJiraCloud) -> None:
    with site.client() as client:
        response = make(client, "fred@example.com")
    assert response.status_code == 201
    body = response.json()
    assert body["accountId"].startswith("qm:") and body["name"] == body["accountId"]


def test_duplicate_email_is_400_or_409_with_strict_conflict_codes(site: RunningJiraCloud) -> None:
    with site.client() as client:
        make(client, "fred@example.com")
        lax = make(client, "FRED@example.com")
        strict = make(client, "fred@example.com", strictConflictStatusCode="true")
    assert lax.status_code == 400 and strict.status_code == 409
    assert set(strict.json()) == {"errorMessage", "i18nErrorMessage"}


def test_experimental_operations_need_the_opt_in(site: RunningJiraCloud) -> None:
    with site.client() as client:
        without = client.get(f"{API}/servicedesk/1/customer")
        with_it = client.get(f"{API}/servicedesk/1/customer", headers=OPT_IN)
        delete = change(client, "DELETE", "1", "x")
        add = change(client, "POST", "1")
    assert (without.status_code, with_it.status_code, delete.status_code) == (412, 200, 412)
    assert add.status_code == 400, "POST is not experimental; with no valid accountIds it is a 400"


def test_add_and_remove_by_account_id_ignoring_usernames(site: RunningJiraCloud) -> None:
    with site.client(headers=OPT_IN) as client:
        fred = make(client, "fred@example.com").json()["accountId"]
        by_name = client.post(f"{API}/servicedesk/ITH/customer", json={"usernames": ["fred@example.com"]})
        added = change(client, "POST", "projectKey:ITH", fred)
        partly = change(client, "POST", "1", fred, "nobody")
        listed = client.get(f"{API}/servicedesk/1/customer").json()
        removed = change(client, "DELETE", "serviceDeskId:1", fred)
        again = change(client, "DELETE", "1", fred)
    assert by_name.status_code == 400, "the deprecated usernames key is ignored"
    assert (added.status_code, partly.status_code) == (204, 400)
    assert [c["accountId"] for c in listed["values"]] == [fred]
    assert (removed.status_code, again.status_code) == (204, 204)


def test_removal_from_an_open_desk_is_refused(site: RunningJiraCloud) -> None:
    with site.client(headers=OPT_IN) as client:
        fred = make(client, "fred@example.com").json()["accountId"]
        change(client, "POST", "HR", fred)
        response = change(client, "DELETE", "HR", fred)
    assert response.status_code == 400


def test_the_customer_list_has_a_burst_bucket(jira_cloud_sandbox: CloudFactory) -> None:
    site = jira_cloud_sandbox(service_desks=("ITH",), customer_burst_per_second=5)
    with site.client(headers=OPT_IN) as client:
        statuses = [client.get(f"{API}/servicedesk/1/customer") for _ in range(8)]
        desks = [client.get(f"{API}/servicedesk").status_code for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "8 requests in a row exceed a bucket of 5"
    assert limited[0].headers["RateLimit-Reason"] == "jira-burst-based"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert set(desks) == {200}, "the bucket is the customer list's own"
    assert site.sandbox.rate_limited == len(limited)


def test_user_search_finds_customers_and_licensed_accounts_by_email(site: RunningJiraCloud) -> None:
    agent = site.sandbox.state.add_account("agent@example.com", "An Agent", licensed=True)
    with site.client() as client:
        make(client, "fred@example.com")
        fred = client.get("/rest/api/3/user/search", params={"query": "fred@example.com"}).json()
        found = client.get("/rest/api/3/user/search", params={"query": "agent@example.com"}).json()
        one = client.get("/rest/api/3/user", params={"accountId": agent.account_id}).json()
        missing = client.get("/rest/api/3/user", params={"accountId": "nope"})
    assert [(u["accountType"], u["accountId"][:3]) for u in fred] == [("customer", "qm:")]
    assert [u["accountId"] for u in found] == [agent.account_id] and found[0]["accountType"] == "atlassian"
    assert one["emailAddress"] == "agent@example.com"
    assert missing.status_code == 404 and "errorMessages" in missing.json()


def test_bad_credentials_are_401_before_any_route(site: RunningJiraCloud) -> None:
    with site.client(auth=(site.email, "wrong")) as client:
        bad = client.get(f"{API}/servicedesk")
    with site.client(auth=None) as client:
        anonymous = client.get(f"{API}/servicedesk")
    assert bad.status_code == 401 and bad.headers["content-type"].startswith("text/plain")
    assert anonymous.status_code == 401 and "errorMessage" in anonymous.json()


def test_atlassian_python_api_works_against_the_site(site: RunningJiraCloud) -> None:
    desk = ServiceDesk(url=site.url, username=site.email, password=site.api_token, cloud=True)

    created = desk.create_customer("Fred F. User", "fred@example.com")
    desks = desk.get_service_desks()
    desk.add_customers("1", list_of_accountids=[created["accountId"]])
    customers = desk.get_customers("1")
    desk.remove_customers("1", list_of_accountids=[created["accountId"]])

    assert [d["projectKey"] for d in desks] == ["ITH", "HR"]
    assert [c["accountId"] for c in customers["values"]] == [created["accountId"]]
    assert site.sandbox.state.desks[1].customers == set()
