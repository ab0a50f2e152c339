"""/user/search matching and the per-version caps (9.x: 1,000 matches reachable, 10.x: 100 in all);
/user/list cursor paging."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse


def _search(client, **params):
    response = client.get("/rest/api/2/user/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_dot_matches_everyone_and_max_results_is_capped_at_1000(jira_sandbox):
    jira = jira_sandbox(users=1200, version=9)
    active = sum(u.active for u in jira.sandbox.state.users.values())
    with jira.client() as client:
        page = _search(client, username=".", maxResults=5000)
        assert len(page) == 1000
        beyond = _search(client, username=".", startAt=900, maxResults=1000)
        assert len(beyond) == 100  # only the first 1000 matches are reachable
        everyone = _search(client, username=".", maxResults=1000, includeInactive="true")
    assert active > 1000
    assert len({u["key"] for u in everyone}) == 1000


def test_version_10_caps_the_total_at_100(jira_sandbox):
    jira = jira_sandbox(users=300, version=10)
    with jira.client() as client:
        first = _search(client, username=".", maxResults=1000)
        past = _search(client, username=".", startAt=100, maxResults=50)
        straddling = _search(client, username=".", startAt=80, maxResults=50)
    assert len(first) == 100
    assert past == []
    assert len(straddling) == 20


def test_search_matches_username_email_and_display_name_words(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        for name, email, display in (
            ("jdoe", "john.doe@corp.example", "John Doe"),
            ("asmith", "anna@example.com", "Anna Smith-Doe"),
        ):
            client.post(
                "/rest/api/2/user", json={"name": name, "emailAddress": email, "displayName": display}
            )
        assert {u["name"] for u in _search(client, username="JD")} == {"jdoe"}
        assert {u["name"] for u in _search(client, username="anna@")} == {"asmith"}
        assert {u["name"] for u in _search(client, username="doe")} == {"jdoe"}
        assert {u["name"] for u in _search(client, username="smith")} == {"asmith"}
        assert _search(client, username="zzz") == []
        missing = client.get("/rest/api/2/user/search")
    assert missing.status_code == 400


def test_inactive_users_only_on_request(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post(
            "/rest/api/2/user", json={"name": "old", "emailAddress": "o@example.com", "displayName": "Old"}
        )
        client.put("/rest/api/2/user", params={"username": "old"}, json={"active": False})
        assert _search(client, username="old") == []
        found = _search(client, username="old", includeInactive="true")
        only_inactive = _search(client, username=".", includeActive="false", includeInactive="true")
    assert [u["active"] for u in found] == [False]
    assert [u["name"] for u in only_inactive] == ["old"]


def test_user_list_pages_by_cursor_through_every_user_once(jira_sandbox):
    jira = jira_sandbox(users=250, version=10)
    seen: list[str] = []
    pages = 0
    with jira.client() as client:
        url = "/rest/api/2/user/list?maxResults=100"
        while True:
            page = client.get(url).json()
            pages += 1
            seen += [u["key"] for u in page["values"]]
            assert page["maxResults"] == 100
            if page["isLast"]:
                assert "nextPage" not in page
                break
            assert parse_qs(urlparse(page["nextPage"]).query)["cursor"] == [page["nextCursor"]]
            url = page["nextPage"]
        invalid = client.get("/rest/api/2/user/list", params={"cursor": "%%%"})
    assert pages == 3
    assert len(seen) == len(set(seen)) == 251
    assert invalid.status_code == 200
    assert invalid.json()["values"] == []


def test_user_list_does_not_exist_on_version_9(jira_sandbox):
    jira = jira_sandbox(version=9)
    with jira.client() as client:
        response = client.get("/rest/api/2/user/list")
    assert response.status_code == 404
