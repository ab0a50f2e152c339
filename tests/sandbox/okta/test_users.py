"""Contract tests for /api/v1/users over real HTTP: paging, filter vs search, q, CRUD."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import all_pages, assert_error, create_user, profile

Start = Callable[..., RunningOkta]


def test_paging_1000_users_at_200_gives_five_pages_without_duplicates(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=1000, groups=5, seed=7)
    with okta.client() as client:
        first = client.get("/api/v1/users", params={"limit": 200})
        assert first.headers["x-okta-request-id"]
        assert first.headers.get_list("link")[0] == f'<{okta.url}/api/v1/users?limit=200>; rel="self"'
        pages = all_pages(client, "/api/v1/users", limit=200)
    ids = [user["id"] for page in pages for user in page]
    expected = {u.id for u in okta.sandbox.state.users.values() if u.status != "DEPROVISIONED"}
    assert len(pages) == 5
    assert [len(p) for p in pages[:4]] == [200, 200, 200, 200]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert 800 < len(expected) <= 1000


def test_plain_list_excludes_deprovisioned_but_filter_and_search_include_them(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        alive = create_user(client, "Ada", "Lovelace")
        gone = create_user(client, "Alan", "Turing")
        assert client.post(f"/api/v1/users/{gone['id']}/lifecycle/deactivate").status_code == 204
        plain = {u["id"] for u in client.get("/api/v1/users").json()}
        filtered = {
            u["id"]
            for u in client.get("/api/v1/users", params={"filter": 'status eq "DEPROVISIONED"'}).json()
        }
        searched = {
            u["id"]
            for u in client.get("/api/v1/users", params={"search": 'status eq "DEPROVISIONED"'}).json()
        }
        by_q = {u["id"] for u in client.get("/api/v1/users", params={"q": "Alan"}).json()}
    assert plain == {alive["id"]}
    assert filtered == {gone["id"]}
    assert searched == {gone["id"]}
    assert by_q == set()


def test_filter_is_case_sensitive_and_search_is_not(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Grace", "Hopper")

        def ids(**params: Any) -> set[str]:
            response = client.get("/api/v1/users", params=params)
            assert response.status_code == 200, response.text
            return {u["id"] for u in response.json()}

        assert ids(filter='profile.firstName eq "Grace"') == {user["id"]}
        assert ids(filter='profile.firstName eq "grace"') == set()
        assert ids(filter='status eq "active"') == set()
        assert ids(search='profile.firstName eq "grace"') == {user["id"]}
        assert ids(search='status eq "active"') == {user["id"]}
        assert ids(search='profile.email sw "GRACE."') == {user["id"]}
        assert ids(search='profile.lastName co "opp"') == {user["id"]}


def test_filter_rejects_what_only_search_supports(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        for expression in (
            'profile.department eq "IT"',
            'profile.firstName sw "A"',
            'not (status eq "ACTIVE")',
            'status gt "A"',
        ):
            body = assert_error(client.get("/api/v1/users", params={"filter": expression}), 400, "E0000031")
            assert body["errorCauses"]
        assert_error(client.get("/api/v1/users", params={"search": 'status ne "ACTIVE"'}), 400, "E0000031")
        assert_error(client.get("/api/v1/users", params={"search": 'profile.title co "x"'}), 400, "E0000031")
        assert_error(client.get("/api/v1/users", params={"search": 'status eq "ACTIVE'}), 400, "E0000031")


def test_last_updated_filter_with_and_or_and_dates(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=200, seed=3)
    state = okta.sandbox.state
    cut = sorted(u.last_updated for u in state.users.values())[100]
    with okta.client() as client:
        pages = all_pages(client, "/api/v1/users", filter=f'lastUpdated gt "{cut}"', limit=30)
        found = {u["id"] for page in pages for u in page}
        either = client.get(
            "/api/v1/users", params={"filter": 'status eq "SUSPENDED" or status eq "LOCKED_OUT"'}
        ).json()
        searched = all_pages(
            client,
            "/api/v1/users",
            search='profile.department eq "engineering" and '
            '(created lt "2030-01-01T00:00:00.000Z" or status eq "ACTIVE")',
        )
    assert found == {u.id for u in state.users.values() if u.last_updated > cut}
    assert {u["status"] for u in either} <= {"SUSPENDED", "LOCKED_OUT"}
    assert len(either) == sum(1 for u in state.users.values() if u.status in ("SUSPENDED", "LOCKED_OUT"))
    assert {u["id"] for p in searched for u in p} == {
        u.id for u in state.users.values() if u.profile["department"] == "Engineering"
    }


def test_search_sort_by_and_order(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=60, seed=5)
    with okta.client() as client:
        pages = all_pages(
            client, "/api/v1/users", search="status pr", sortBy="profile.lastName", sortOrder="desc", limit=25
        )
    names = [u["profile"]["lastName"].casefold() for p in pages for u in p]
    assert len(names) == 60
    assert names == sorted(names, reverse=True)


def test_q_is_starts_with_unpaged_default_ten(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        for n in range(12):
            create_user(client, "Quinn", f"Tester{n}")
        response = client.get("/api/v1/users", params={"q": "qui"})
        assert response.status_code == 200
        assert len(response.json()) == 10
        assert "next" not in response.links
        assert len(client.get("/api/v1/users", params={"q": "Quinn", "limit": 50}).json()) == 12


def test_get_by_id_login_and_shortname_and_404(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Linus", "Torvalds")
        for key in (user["id"], "linus.torvalds@example.com", "LINUS.TORVALDS@example.com", "linus.torvalds"):
            assert client.get(f"/api/v1/users/{key}").json()["id"] == user["id"]
        body = assert_error(client.get("/api/v1/users/00unope"), 404, "E0000007")
        assert body["errorSummary"] == "Not found: Resource not found: 00unope (User)"


def test_create_statuses_and_duplicate_login(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        assert create_user(client, "Sta", "Ged", activate=False)["status"] == "STAGED"
        staged = create_user(client, "Sta", "Ged2", activate=False, password=False)
        assert staged["activated"] is None
        assert staged["statusChanged"] is None
        assert create_user(client, "Pro", "Visioned", password=False)["status"] == "PROVISIONED"
        assert create_user(client, "Act", "Ive")["status"] == "ACTIVE"
        duplicate = client.post("/api/v1/users", json={"profile": profile("ACT", "ive")})
        body = assert_error(duplicate, 400, "E0000001")
        assert body["errorCauses"] == [
            {"errorSummary": "login: An object with this field already exists in the current organization"}
        ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": {"email": "x@example.com", "firstName": "X", "lastName": "Y"}}, "login"),
        ({"profile": {**profile("A", "B"), "favouriteColour": "blue"}}, "favouriteColour"),
        ({"profile": {**profile("A", "B"), "firstName": ""}}, "firstName"),
        ({"profile": {**profile("A", "B"), "login": "not-an-email"}}, "login"),
        ({"profile": {**profile("A", "B"), "title": 7}}, "title"),
    ],
)
def test_create_validation_names_the_field(okta_sandbox: Start, body: dict[str, Any], field: str) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        error = assert_error(client.post("/api/v1/users", json=body), 400, "E0000001")
    assert error["errorSummary"] == f"Api validation failed: {field}"
    assert error["errorCauses"][0]["errorSummary"].startswith(f"{field}: ")


def test_malformed_body_is_e0000003(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        response = client.post(
            "/api/v1/users", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, "E0000003")


def test_partial_update_and_replace(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Edsger", "Dijkstra", title="Professor", department="Research")
        okta.sandbox.control.clock.advance(5)
        partial = client.post(f"/api/v1/users/{user['id']}", json={"profile": {"title": "Emeritus"}}).json()
        assert partial["profile"]["title"] == "Emeritus"
        assert partial["profile"]["department"] == "Research"
        assert partial["lastUpdated"] > user["lastUpdated"]
        replaced = client.put(
            f"/api/v1/users/{user['id']}", json={"profile": profile("Edsger", "Dijkstra")}
        ).json()
        assert "department" not in replaced["profile"]
        assert_error(
            client.put(f"/api/v1/users/{user['id']}", json={"profile": {"title": "x"}}), 400, "E0000001"
        )


def test_users_groups_lists_everyone_and_memberships(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Barbara", "Liskov")
        group = client.post("/api/v1/groups", json={"profile": {"name": "Theory"}}).json()
        assert client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}").status_code == 204
        names = {g["profile"]["name"] for g in client.get(f"/api/v1/users/{user['id']}/groups").json()}
    assert names == {"Everyone", "Theory"}
