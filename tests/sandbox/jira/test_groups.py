"""Groups: create/delete, membership add/remove with the documented errors, /group/member paging with
includeInactiveUsers, /groups/picker."""

from __future__ import annotations


def _user(client, name, active=True):
    client.post(
        "/rest/api/2/user",
        json={"name": name, "emailAddress": f"{name}@example.com", "displayName": name.title()},
    )
    if not active:
        client.put("/rest/api/2/user", params={"username": name}, json={"active": False})


def test_create_and_delete_group(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        created = client.post("/rest/api/2/group", json={"name": "Team-X"})
        assert created.status_code == 201
        assert created.json()["name"] == "Team-X"
        assert created.json()["users"]["size"] == 0
        duplicate = client.post("/rest/api/2/group", json={"name": "team-x"})
        assert duplicate.status_code == 400
        assert duplicate.json()["errorMessages"]
        assert client.post("/rest/api/2/group", json={}).status_code == 400
        deleted = client.delete("/rest/api/2/group", params={"groupname": "TEAM-X"})
        assert deleted.status_code == 200
        assert deleted.content == b""
        assert client.delete("/rest/api/2/group", params={"groupname": "team-x"}).status_code == 404


def test_membership_add_remove_and_their_errors(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        _user(client, "jdoe")
        client.post("/rest/api/2/group", json={"name": "devs"})
        added = client.post("/rest/api/2/group/user", params={"groupname": "devs"}, json={"name": "JDoe"})
        assert added.status_code == 201
        assert added.json()["users"]["size"] == 1
        again = client.post("/rest/api/2/group/user", params={"groupname": "devs"}, json={"name": "jdoe"})
        assert again.status_code == 400
        assert again.json()["errorMessages"] == ["Cannot add user. User is already a member of 'devs'"]
        no_user = client.post("/rest/api/2/group/user", params={"groupname": "devs"}, json={"name": "ghost"})
        no_group = client.post("/rest/api/2/group/user", params={"groupname": "nope"}, json={"name": "jdoe"})
        assert (no_user.status_code, no_group.status_code) == (404, 404)
        removed = client.delete("/rest/api/2/group/user", params={"groupname": "devs", "username": "jdoe"})
        assert removed.status_code == 200
        not_member = client.delete("/rest/api/2/group/user", params={"groupname": "devs", "username": "jdoe"})
        assert not_member.status_code == 400
        gone = client.delete("/rest/api/2/group/user", params={"groupname": "devs", "username": "ghost"})
        assert gone.status_code == 404
        expanded = client.get("/rest/api/2/user", params={"username": "jdoe", "expand": "groups"}).json()
    assert [g["name"] for g in expanded["groups"]["items"]] == ["jira-software-users"]


def test_group_member_pages_and_inactive_users(jira_sandbox):
    jira = jira_sandbox()
    names = [f"user{i:02d}" for i in range(12)]
    with jira.client() as client:
        client.post("/rest/api/2/group", json={"name": "big"})
        for i, name in enumerate(names):
            _user(client, name, active=i % 4 != 0)
            client.post("/rest/api/2/group/user", params={"groupname": "big"}, json={"name": name})
        seen: list[str] = []
        start = 0
        while True:
            page = client.get(
                "/rest/api/2/group/member", params={"groupname": "big", "startAt": start, "maxResults": 5}
            ).json()
            assert page["total"] == 9
            seen += [m["name"] for m in page["values"]]
            start += len(page["values"])
            if page["isLast"]:
                break
        everyone = client.get(
            "/rest/api/2/group/member",
            params={"groupname": "big", "includeInactiveUsers": "true", "maxResults": 50},
        ).json()
        missing = client.get("/rest/api/2/group/member", params={"groupname": "nope"})
    assert seen == [n for i, n in enumerate(names) if i % 4 != 0]
    assert everyone["total"] == 12
    assert [m["active"] for m in everyone["values"]].count(False) == 3
    assert missing.status_code == 404


def test_groups_picker_matches_substrings_and_labels_admin(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        for name in ("alpha-team", "beta-team", "gamma"):
            client.post("/rest/api/2/group", json={"name": name})
        teams = client.get("/rest/api/2/groups/picker", params={"query": "TEAM"}).json()
        one = client.get("/rest/api/2/groups/picker", params={"query": "team", "maxResults": 1}).json()
        admins = client.get("/rest/api/2/groups/picker", params={"query": "administrators"}).json()
        excluded = client.get(
            "/rest/api/2/groups/picker", params={"query": "team", "exclude": "beta-team"}
        ).json()
    assert [g["name"] for g in teams["groups"]] == ["alpha-team", "beta-team"]
    assert teams["groups"][0]["html"] == "alpha-<b>team</b>"
    assert (one["total"], len(one["groups"]), one["header"]) == (2, 1, "Showing 1 of 2 matching groups")
    assert admins["groups"][0]["labels"][0]["type"] == "ADMIN"
    assert [g["name"] for g in excluded["groups"]] == ["alpha-team"]
