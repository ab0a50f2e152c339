"""Application roles and their seats: GET /applicationrole[/key] (also through atlassian-python-api),
seats taken by active members of a role's groups, and the 400 past a role's last seat on creation and
on joining an access group (nothing is created or added then)."""

from __future__ import annotations

from atlassian import Jira

LIMIT = "Adding a user to the selected groups will exceed the number of allowed users"


def _new(name: str) -> dict[str, str]:
    return {"name": name, "emailAddress": f"{name}@example.com", "displayName": name.title()}


def test_roles_report_seats_groups_and_defaults(jira_sandbox):
    jira = jira_sandbox(users=4, licensed_users=10, seed=3)
    users = jira.sandbox.state.users.values()
    active = sum(1 for u in users if u.active and "jira-software-users" in u.groups)
    with jira.client() as client:
        roles = client.get("/rest/api/2/applicationrole")
        one = client.get("/rest/api/2/applicationrole/jira-software")
        missing = client.get("/rest/api/2/applicationrole/jira-nope")
    assert roles.status_code == 200
    assert roles.json() == [one.json()]
    assert one.json() == {
        "key": "jira-software",
        "name": "Jira Software",
        "groups": ["jira-software-users"],
        "defaultGroups": ["jira-software-users"],
        "selectedByDefault": True,
        "defined": True,
        "numberOfSeats": 10,
        "remainingSeats": 10 - active,
        "userCount": active,
        "userCountDescription": f"{active} users",
        "hasUnlimitedSeats": False,
        "platform": False,
    }
    assert missing.status_code == 404
    assert missing.json()["errorMessages"]


def test_unlimited_roles_report_minus_one(jira_sandbox):
    jira = jira_sandbox()
    role = Jira(url=jira.url, token=jira.token).get_application_role("jira-software")
    assert role["hasUnlimitedSeats"] is True
    assert (role["numberOfSeats"], role["remainingSeats"], role["userCount"]) == (-1, -1, 1)


def test_atlassian_python_api_reads_the_roles(jira_sandbox):
    jira = jira_sandbox(licensed_users=3, service_desks=("ITH",))
    roles = Jira(url=jira.url, token=jira.token).get_all_application_roles()
    assert [(r["key"], r["remainingSeats"], r["hasUnlimitedSeats"]) for r in roles] == [
        ("jira-servicedesk", -1, True),
        ("jira-software", 2, False),
    ]


def test_creation_past_the_last_seat_is_refused_and_creates_nobody(jira_sandbox):
    jira = jira_sandbox(licensed_users=2)  # the admin holds one
    with jira.client() as client:
        assert client.post("/rest/api/2/user", json=_new("ann")).status_code == 201
        refused = client.post("/rest/api/2/user", json=_new("bob"))
        explicit = client.post("/rest/api/2/user", json=_new("cid") | {"applicationKeys": ["jira-software"]})
        unlicensed = client.post("/rest/api/2/user", json=_new("dan") | {"applicationKeys": []})
        left = client.get("/rest/api/2/applicationrole/jira-software").json()["remainingSeats"]
    for response in (refused, explicit):
        assert response.status_code == 400
        assert response.json()["errorMessages"][0].startswith(LIMIT)
        assert response.json()["errors"] == {}
    state = jira.sandbox.state
    assert state.user_by_name("bob") is None and state.user_by_name("cid") is None
    assert unlicensed.status_code == 201, "a user given no application takes no seat"
    assert state.user_by_name("dan").groups == set()
    assert left == 0


def test_create_unlicensed_mode_creates_the_user_without_the_full_role(jira_sandbox):
    jira = jira_sandbox(licensed_users=1, create_unlicensed=True)
    with jira.client() as client:
        created = client.post("/rest/api/2/user", json=_new("ann"))
        user = client.get("/rest/api/2/user", params={"username": "ann", "expand": "applicationRoles"}).json()
    assert created.status_code == 201
    assert user["applicationRoles"] == {"size": 0, "items": []}


def test_joining_an_access_group_past_the_last_seat_is_refused(jira_sandbox):
    jira = jira_sandbox(licensed_users=2)
    with jira.client() as client:
        for name in ("ann", "bob"):
            client.post("/rest/api/2/user", json=_new(name) | {"applicationKeys": []})
        client.post("/rest/api/2/group", json={"name": "team"})

        def join(group: str, user: str):
            return client.post("/rest/api/2/group/user", params={"groupname": group}, json={"name": user})

        assert join("jira-software-users", "ann").status_code == 201
        refused = join("jira-software-users", "bob")
        plain = join("team", "bob")
        # an inactive user takes no seat, so may join; reactivating is not refused (see licences.py)
        client.put("/rest/api/2/user", params={"username": "bob"}, json={"active": False})
        inactive = join("jira-software-users", "bob")
        again = client.put("/rest/api/2/user", params={"username": "bob"}, json={"active": True})
        over = client.get("/rest/api/2/applicationrole/jira-software").json()
    assert refused.status_code == 400
    assert refused.json()["errorMessages"][0].startswith(LIMIT)
    assert plain.status_code == 201
    assert inactive.status_code == 201
    assert again.status_code == 200
    assert (over["userCount"], over["remainingSeats"]) == (3, 0), "over the limit, never negative"


def test_a_user_already_holding_the_role_takes_no_new_seat(jira_sandbox):
    jira = jira_sandbox(licensed_users=1)
    state = jira.sandbox.state
    state.roles["jira-software"].groups.append("jira-developers")
    with jira.client() as client:
        client.post("/rest/api/2/group", json={"name": "jira-developers"})
        added = client.post("/rest/api/2/group/user", params={"groupname": "jira-developers"},
                            json={"name": "admin"})
        role = client.get("/rest/api/2/applicationrole/jira-software").json()
        admin = client.get("/rest/api/2/user", params={"username": "admin", "expand": "applicationRoles"})
    assert added.status_code == 201
    assert role["groups"] == ["jira-developers", "jira-software-users"]
    assert (role["userCount"], role["remainingSeats"]) == (1, 0)
    assert admin.json()["applicationRoles"]["size"] == 1


def test_roles_need_an_administrator(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        client.post("/rest/api/2/user", json=_new("ann") | {"password": "pw"})
    with jira.client(headers={}, auth=("ann", "pw")) as client:
        denied = client.get("/rest/api/2/applicationrole")
    assert denied.status_code == 403
