"""Client tests against the scripted server (tests.fixtures.scripted) answering with Jira responses shaped
as docs/vendors/jira.md says, over the real wire.

These pin the wire details (auth header, error descriptions, paging, idempotent outcomes); behaviour
against a running server is tested in test_target_sandbox.py against the Jira emulator.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from multidict import CIMultiDict

from idsync.config.connections import JiraConnection
from idsync.domain.errors import BadRequestError, ConflictError, StopSyncError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.http import Response
from idsync.targets.jira import JiraTarget
from idsync.targets.jira.client import describe_jira
from tests.fixtures.scripted import Answer, Handler, ScriptedRequest, ScriptedServer

REASON = Reason("test", "built by hand")
URL = "https://jira.example.com"
"""Where the users' `self` links point (the server answers from its own loopback URL)."""
Scripted = Callable[[Handler], ScriptedServer]


def _conn(url: str, **extra: object) -> JiraConnection:
    fields: dict[str, object] = {"type": "jira", "url": url, "token": "pat-secret-123", "retries": 0}
    fields.update(extra)
    return JiraConnection.model_validate(fields)


def _user(name: str, key: str, email: str, active: bool = True) -> dict[str, object]:
    return {
        "self": f"{URL}/rest/api/2/user?username={name}",
        "key": key,
        "name": name,
        "emailAddress": email,
        "displayName": name.title(),
        "active": active,
        "deleted": False,
    }


def _error(status: int, messages: list[str], errors: dict[str, str] | None = None) -> Answer:
    return Answer.json(status, {"errorMessages": messages, "errors": errors or {}})


def _answer(answer: Answer) -> Response:
    """An answer as the connector would receive it (for the describe functions, which only parse)."""
    return Response(answer.status, CIMultiDict(answer.headers), answer.body, "GET", URL + "/rest/api/2/user")


def test_describe_joins_messages_and_field_errors() -> None:
    response = _answer(_error(400, ["Bad thing"], {"username": "A user with that username already exists."}))
    assert describe_jira(response) == "Bad thing; username: A user with that username already exists."


def test_describe_empty_401_body() -> None:
    assert "authentication failed" in describe_jira(_answer(Answer(401)))


async def test_bearer_and_basic_auth_headers_are_sent(scripted: Scripted) -> None:
    seen: list[str] = []

    def handler(request: ScriptedRequest) -> Answer:
        seen.append(request.headers["authorization"])
        if request.path.endswith("/myself"):
            return Answer.json(200, _user("admin", "JIRAUSER10000", "admin@example.com"))
        return Answer.json(200, {"version": "9.12.5", "deploymentType": "DataCenter"})

    server = scripted(handler)
    pat = JiraTarget("jira", _conn(server.url))
    assert await pat.check() == f"Jira 9.12.5 at {server.url}: authenticated as admin"
    await pat.aclose()
    basic = JiraTarget("jira", _conn(server.url, token=None, username="admin", password="s3cret"))
    await basic.check()
    await basic.aclose()
    assert seen[0] == "Bearer pat-secret-123"
    assert seen[2] == "Basic " + base64.b64encode(b"admin:s3cret").decode()


async def test_bad_token_is_stop_sync_without_the_secret(scripted: Scripted) -> None:
    target = JiraTarget("jira", _conn(scripted(lambda _request: Answer(401)).url))
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    await target.aclose()
    assert "pat-secret-123" not in str(caught.value)


async def test_read_state_users_emails_properties_groups_and_leads(scripted: Scripted) -> None:
    users = {
        "jdoe": _user("jdoe", "JIRAUSER10100", "jdoe@example.com"),
        "ann": _user("Ann", "JIRAUSER10101", "Ann@Example.com", active=False),
        "annabel": _user("annabel", "JIRAUSER10102", "ann@example.com.au"),
    }
    members = [_user(f"m{i}", f"JIRAUSER2{i:04}", f"m{i}@example.com") for i in range(120)]

    def handler(request: ScriptedRequest) -> Answer:
        path, q = request.path, request.query
        if path == "/rest/api/2/user":
            found = [u for u in users.values() if u["key"] == q.get("key") or u["name"] == q.get("username")]
            return Answer.json(200, found[0]) if found else _error(404, ["User does not exist"])
        if path == "/rest/api/2/user/search":
            assert q["includeInactive"] == "true"
            term = q["username"].lower()
            hits = [u for u in users.values() if term in str(u["emailAddress"]).lower()]
            return Answer.json(200, hits)
        if path == "/rest/api/2/user/properties/team":
            if q["username"] == "jdoe":
                return Answer.json(200, {"key": "team", "value": "platform"})
            return _error(404, ["property not found"])
        if path == "/rest/api/2/group/member":
            if q["groupname"] != "devs":
                return _error(404, ["group does not exist"])
            assert q["includeInactiveUsers"] == "true"
            start, size = int(q["startAt"]), int(q["maxResults"])
            page = members[start : start + size]
            return Answer.json(
                200,
                {
                    "startAt": start,
                    "maxResults": size,
                    "total": len(members),
                    "isLast": start + size >= len(members),
                    "values": page,
                },
            )
        if path == "/rest/api/2/project":
            return Answer.json(200, [{"id": "1", "key": "PRJ", "name": "Project"}])
        if path == "/rest/api/2/project/PRJ":
            return Answer.json(
                200,
                {
                    "id": "1",
                    "key": "PRJ",
                    "name": "Project",
                    "lead": {"name": "JDoe", "key": "JIRAUSER10100"},
                },
            )
        if path == "/rest/api/2/project/PRJ/components":
            return Answer.json(
                200,
                [
                    {"id": "10000", "name": "API", "leadUserName": "ann", "project": "PRJ"},
                    {"id": "10001", "name": "UI", "project": "PRJ"},
                ],
            )
        return _error(404, [f"unexpected {path}"])

    target = JiraTarget("jira", _conn(scripted(handler).url))
    state = await target.read_state(
        StateQuery(
            user_keys=frozenset({"JIRAUSER10100", "JIRAUSER99999"}),
            usernames=frozenset({"nobody"}),
            emails=frozenset({"ann@example.com"}),
            groups=frozenset({"devs", "ghosts"}),
            property_keys=frozenset({"team"}),
            leads=True,
        ),
        NO_PROGRESS,
    )
    await target.aclose()
    assert set(state.users) == {"JIRAUSER10100", "JIRAUSER10101"}  # annabel's email only contains it
    assert state.users["JIRAUSER10101"].username == "ann"
    assert state.users["JIRAUSER10101"].active is False
    assert state.users["JIRAUSER10100"].properties == {"team": "platform"}
    assert state.users["JIRAUSER10101"].properties == {"team": None}
    assert state.groups["ghosts"] is None
    assert state.groups["devs"] == frozenset(f"m{i}" for i in range(120))
    leads = [(r.kind, r.id, r.lead) for r in state.leads]
    assert leads == [("project", "PRJ", "jdoe"), ("component", "10000", "ann")]


async def test_writes_map_to_reference_calls(scripted: Scripted) -> None:
    calls: list[tuple[str, str, dict[str, str], object]] = []

    def handler(request: ScriptedRequest) -> Answer:
        body = request.json() if request.body else None
        calls.append((request.method, request.path, dict(request.query), body))
        path = request.path
        if request.method == "POST" and path == "/rest/api/2/user":
            if body["name"] == "taken":
                return _error(400, [], {"username": "A user with that username already exists."})
            if body["name"] == "bad":
                return _error(400, [], {"emailAddress": "You must specify a valid email address."})
            return Answer.json(201, _user(body["name"], "JIRAUSER10500", body["emailAddress"]))
        if request.method == "POST" and path == "/rest/api/2/group/user":
            return _error(400, ["Cannot add user. User is already a member of 'devs'"])
        if request.method == "DELETE" and path == "/rest/api/2/group/user":
            return _error(400, ["User 'jdoe' is not a member of group 'devs'"])
        if path == "/rest/api/2/project/PRJ":
            return Answer.json(201, {"id": "1", "key": "PRJ", "name": "P"})
        return Answer(204) if request.method == "DELETE" else Answer.json(200, {})

    target = JiraTarget("jira", _conn(scripted(handler).url))
    changes = (Change("email", None, "new@example.com"), Change("display_name", None, "New Person"))
    created = await target.execute(PlanItem(Action.CREATE_USER, "jira", REASON, user="new", changes=changes))
    assert created == "JIRAUSER10500"
    assert calls[-1][3] == {"name": "new", "emailAddress": "new@example.com", "displayName": "New Person"}
    with pytest.raises(ConflictError):
        await target.execute(PlanItem(Action.CREATE_USER, "jira", REASON, user="taken", changes=changes))
    with pytest.raises(BadRequestError, match="emailAddress"):
        await target.execute(PlanItem(Action.CREATE_USER, "jira", REASON, user="bad", changes=changes))
    await target.execute(PlanItem(Action.DEACTIVATE_USER, "jira", REASON, user="jdoe", user_key="K1"))
    assert calls[-1][1:] == ("/rest/api/2/user", {"key": "K1"}, {"active": False})
    await target.execute(
        PlanItem(
            Action.UPDATE_USER,
            "jira",
            REASON,
            user="jdoe",
            user_key="K1",
            changes=(Change("display_name", "Old", "New"),),
        )
    )
    assert calls[-1][3] == {"displayName": "New"}
    await target.execute(
        PlanItem(
            Action.SET_USER_PROPERTY,
            "jira",
            REASON,
            user="jdoe",
            changes=(Change("team", None, "core"), Change("site", "x", None)),
        )
    )
    assert calls[-2][:4] == ("PUT", "/rest/api/2/user/properties/team", {"username": "jdoe"}, "core")
    assert calls[-1][:2] == ("DELETE", "/rest/api/2/user/properties/site")
    await target.execute(PlanItem(Action.ADD_MEMBER, "jira", REASON, user="jdoe", group="devs"))
    await target.execute(PlanItem(Action.REMOVE_MEMBER, "jira", REASON, user="jdoe", group="devs"))
    await target.aclose()
