"""Edge cases of the Okta client and source against the scripted server (tests.fixtures.scripted), over
the real wire, with responses shaped as in docs/vendors/okta.md (Link headers, error bodies). The
emulator tests cover the usual paths; these cover what an emulator does not easily produce (hostile
next links, looping cursors, odd bodies)."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from multidict import CIMultiDict
from pydantic import SecretStr

from idsync.config.connections import OktaConnection
from idsync.domain.errors import NotFoundError, SourceReadError, StopSyncError
from idsync.http import Response, error_for
from idsync.sources.okta import OktaSource
from idsync.sources.okta.client import describe_okta_error
from tests.fixtures.scripted import Answer, Handler, ScriptedRequest, ScriptedServer

BASE = "https://example.okta.com"
"""The host Okta's next links name; only their path and query are followed."""
TOKEN = "00secret-token-value-xyz"
Scripted = Callable[[Handler], ScriptedServer]


def conn(url: str, **changes: object) -> OktaConnection:
    data: dict[str, object] = {"type": "okta", "url": url, "token": SecretStr(TOKEN), "retries": 1}
    data.update(changes)
    return OktaConnection.model_validate(data)


def user(uid: str, status: str = "ACTIVE", updated: str = "2024-01-01T00:00:00.000Z") -> dict[str, object]:
    return {
        "id": uid,
        "status": status,
        "created": "2023-01-01T00:00:00.000Z",
        "lastUpdated": updated,
        "profile": {"login": f"{uid}@example.com", "email": f"{uid}@example.com", "costCenter": None},
    }


def group(gid: str, name: str) -> dict[str, object]:
    return {"id": gid, "type": "OKTA_GROUP", "profile": {"name": name, "description": None}}


def okta_error(status: int, code: str, summary: str, causes: list[str] | None = None) -> Answer:
    body = {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaeTEST",
        "errorCauses": [{"errorSummary": c} for c in causes or []],
    }
    return Answer(status, {"content-type": "application/json"}, orjson.dumps(body))


def page(items: list[dict[str, object]], next_url: str | None = None) -> Answer:
    headers = [("content-type", "application/json;charset=UTF-8")]
    if next_url:
        headers.append(("link", f'<{next_url}>; rel="next"'))
    return Answer(200, headers, orjson.dumps(items))


def source(scripted: Scripted, handler: Handler, **changes: object) -> OktaSource:
    """An OktaSource reading from a scripted server that answers with `handler`."""
    return OktaSource("okta", conn(scripted(handler).url, **changes))


def received(answer: Answer, path: str = "/api/v1/users") -> Response:
    """An answer as the client receives it (for the pure describe / mapping functions)."""
    return Response(answer.status, CIMultiDict(answer.headers), answer.body, "GET", BASE + path)


def small_org(request: ScriptedRequest) -> Answer:
    """Two user pages, one deprovisioned user, one group with members on two pages."""
    assert request.headers["authorization"] == f"SSWS {TOKEN}"
    path, params = request.path, request.query
    if path == "/api/v1/users" and params.get("filter") == 'status eq "DEPROVISIONED"':
        return page([user("u3", "DEPROVISIONED")])
    if path == "/api/v1/users":
        if params.get("after") == "0u1":
            return page([user("u2", "SUSPENDED")])
        return page([user("u1")], f"{BASE}/api/v1/users?after=0u1&limit=200")
    if path == "/api/v1/groups":
        return page([group("g1", "Engineering")])
    if path == "/api/v1/groups/g1/users":
        if params.get("after"):
            return page([user("u3"), user("outsider")])
        return page([user("u1")], f"{BASE}/api/v1/groups/g1/users?after=0u1&limit=1000")
    return okta_error(404, "E0000008", "The requested path was not found")


async def test_full_read_follows_links_and_keeps_deprovisioned_users(scripted: Scripted) -> None:
    okta = source(scripted, small_org)
    try:
        snapshot = await okta.read()
    finally:
        await okta.aclose()
    assert {uid: u.status for uid, u in snapshot.users.items()} == {
        "u1": "ACTIVE",
        "u2": "SUSPENDED",
        "u3": "DEPROVISIONED",
    }
    # "outsider" is not a user of the snapshot: its membership is dropped.
    assert snapshot.groups["g1"].member_ids == frozenset({"u1", "u3"})
    assert snapshot.groups["g1"].name == "Engineering"
    assert snapshot.groups["g1"].attributes["type"] == "OKTA_GROUP"
    attributes = snapshot.users["u1"].attributes
    assert attributes["login"] == "u1@example.com"
    assert attributes["lastUpdated"] == "2024-01-01T00:00:00.000Z"
    assert attributes["id"] == "u1"
    assert okta.requests["GET /api/v1/users"] == 3
    assert okta.requests["GET /api/v1/groups/{id}/users"] == 2


async def test_next_link_to_another_host_keeps_the_token_on_ours(scripted: Scripted) -> None:
    hosts: list[str] = []

    def handler(request: ScriptedRequest) -> Answer:
        hosts.append(request.headers["host"])
        if request.query.get("after"):
            return page([user("u2")])
        if request.query.get("filter"):
            return page([])
        if request.path == "/api/v1/groups":
            return page([])
        return page([user("u1")], "https://evil.example.net/api/v1/users?after=0u1&limit=200")

    server = scripted(handler)
    okta = OktaSource("okta", conn(server.url))
    try:
        snapshot = await okta.read()
    finally:
        await okta.aclose()
    assert set(snapshot.users) == {"u1", "u2"}
    assert set(hosts) == {f"127.0.0.1:{server.port}"}


async def test_a_looping_cursor_fails_the_read(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        if request.path == "/api/v1/users" and not request.query.get("filter"):
            return page([user("u1")], f"{BASE}/api/v1/users?after=0u1&limit=200")
        return page([])

    okta = source(scripted, handler)
    with pytest.raises(SourceReadError, match=r"user list, page 3 failed: .*repeats an earlier page"):
        await okta.read()
    await okta.aclose()


async def test_a_page_that_is_not_an_array_fails_the_read(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        if request.path == "/api/v1/groups":
            return Answer.json(200, {"unexpected": True})
        return page([])

    okta = source(scripted, handler)
    with pytest.raises(SourceReadError, match=r"group list, page 1 failed: expected a JSON array, got dict"):
        await okta.read()
    await okta.aclose()


MEMBER_PAGE_FAULTS = [
    # (what the members page holds, what the error says)
    pytest.param(page([user("u1"), {"status": "ACTIVE", "profile": {}}]),
                 r"Object missing required field `id` - at `\$\[1\]`", id="member without id"),
    pytest.param(page([{**user("u1"), "id": 17}]), r"Expected `str`, got `int` - at `\$\[0\]\.id`",
                 id="id not a string"),
    pytest.param(page([{**user("u1"), "id": ""}]), r"Expected `str` of length >= 1 - at `\$\[0\]\.id`",
                 id="empty id"),
    pytest.param(page(["u1"]), r"Expected `object`, got `str` - at `\$\[0\]`", id="member not an object"),
    pytest.param(Answer.json(200, {"unexpected": True}), r"Expected `array`, got `object`",
                 id="not an array"),
    pytest.param(Answer(200, {"content-type": "application/json"}, b"[{\"id\": \"u1\""),
                 r"the response body is not JSON", id="not JSON"),
]


@pytest.mark.parametrize(("members", "says"), MEMBER_PAGE_FAULTS)
async def test_a_malformed_members_page_fails_the_read_naming_group_page_and_place(
    scripted: Scripted, members: Answer, says: str
) -> None:
    """Members pages are decoded for the ids alone (models.member_page): whatever is wrong with one
    still fails the whole read, never a group with fewer members."""

    def handler(request: ScriptedRequest) -> Answer:
        if request.path == "/api/v1/groups":
            return page([group("g1", "Engineering")])
        if request.path == "/api/v1/groups/g1/users":
            if request.query.get("after"):
                return members
            return page([user("u1")], f"{BASE}/api/v1/groups/g1/users?after=0u1&limit=1000")
        return page([user("u1")] if not request.query.get("filter") else [])

    okta = source(scripted, handler)
    pattern = r"members of group 'Engineering' \(g1\), page 2 failed: group members page: " + says
    with pytest.raises(SourceReadError, match=pattern):
        await okta.read()
    await okta.aclose()


async def test_a_user_without_status_names_the_field(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        if request.path == "/api/v1/users" and not request.query.get("filter"):
            return page([{"id": "u9", "profile": {}}])
        return page([])

    okta = source(scripted, handler)
    with pytest.raises(SourceReadError, match=r"user u9: field 'status' must be a non-empty string"):
        await okta.read()
    await okta.aclose()


async def test_bad_token_is_a_clear_stop_without_the_token(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        return okta_error(401, "E0000011", "Invalid token provided")

    server = scripted(handler)
    okta = OktaSource("okta", conn(server.url))
    with pytest.raises(StopSyncError) as caught:
        await okta.read()
    await okta.aclose()
    message = str(caught.value)
    assert message.startswith(f"Okta rejected the API token for {server.url}")
    assert "Invalid token provided (E0000011" in message
    assert TOKEN not in message
    assert caught.value.status == 401


async def test_forbidden_says_which_rights_are_missing(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        if request.path.startswith("/api/v1/apps/"):
            return okta_error(403, "E0000006", "You do not have permission to perform the requested action")
        return page([])

    okta = source(scripted, handler, app_id="0oa1")
    with pytest.raises(StopSyncError, match=r"Okta refused the API token permission"):
        await okta.read()
    await okta.aclose()


async def test_missing_app_is_an_incomplete_read_naming_the_app(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        return okta_error(404, "E0000007", "Not found: Resource not found: 0oaNOPE (AppInstance)")

    okta = source(scripted, handler, app_id="0oaNOPE")
    with pytest.raises(SourceReadError, match=r"of app 0oaNOPE, page 1 failed: GET /api/v1/apps/0oaNOPE/"):
        await okta.read()
    await okta.aclose()


async def test_app_users_without_embedded_user_are_fetched_one_by_one(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        path = request.path
        if path == "/api/v1/apps/0oa1/users":
            return page([{"id": "u1", "scope": "USER", "status": "ACTIVE"}])
        if path == "/api/v1/apps/0oa1/groups":
            return page([{"id": "g1", "priority": 0}])
        if path == "/api/v1/groups/g1":
            return Answer.json(200, group("g1", "App Users"))
        if path == "/api/v1/groups/g1/users":
            return page([user("u2")])
        if path == "/api/v1/users/u1":
            return Answer.json(200, user("u1"))
        return okta_error(404, "E0000008", "The requested path was not found")

    okta = source(scripted, handler, app_id="0oa1")
    try:
        snapshot = await okta.read()
    finally:
        await okta.aclose()
    assert snapshot.scope == "app 0oa1"
    assert set(snapshot.users) == {"u1", "u2"}
    assert snapshot.groups["g1"].member_ids == frozenset({"u2"})
    assert okta.requests["GET /api/v1/users/{id}"] == 1


async def test_read_user_not_found(scripted: Scripted) -> None:
    def handler(request: ScriptedRequest) -> Answer:
        return okta_error(404, "E0000007", "Not found: Resource not found: nobody@example.com (User)")

    okta = source(scripted, handler)
    with pytest.raises(NotFoundError, match=r"has no user 'nobody@example.com'"):
        await okta.read_user("nobody@example.com")
    await okta.aclose()


def test_describe_joins_summary_code_causes_and_id() -> None:
    error = okta_error(400, "E0000001", "Api validation failed: login", ["login: already exists"])
    response = received(error)
    assert describe_okta_error(response) == (
        "Api validation failed: login (E0000001; causes: login: already exists; errorId oaeTEST)"
    )
    plain = received(Answer.text(502, "<html>Bad gateway</html>", "text/html"))
    assert describe_okta_error(plain) == "<html>Bad gateway</html>"


def test_rate_limit_headers_on_a_500_are_no_request_to_wait() -> None:
    # Okta sends X-Rate-Limit-* on every response; only a 429 means "come back at the reset".
    reset = {"x-rate-limit-reset": "4102444800"}  # year 2100
    failed = received(Answer(500, reset))
    limited = received(Answer(429, reset))
    assert error_for(failed, describe_okta_error).retry_after is None
    waited = error_for(limited, describe_okta_error).retry_after
    assert waited is not None
    assert waited > 3600
