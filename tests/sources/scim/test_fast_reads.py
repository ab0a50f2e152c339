"""The direct read path (fast_reads.py) answers exactly what the protocol core answers.

Two servers over one store (SQLite, and PostgreSQL where the reads go through a worker thread): the
inbox as `idsync serve` builds it, and the same endpoint with `fast_reads=False`, where the core
answers everything. Resources are written through the core (real POST / PATCH), covering every kind
of value the direct path renders and every kind it must leave to the core; each GET by id and each
`eq` search is sent to both, and status, headers and body must be the same (the base URLs aside).
The fast server's counter shows which of them the direct path answered itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from idsync.sandbox.common.server import RunningServer, serve_in_thread
from idsync.sources.scim import tokens
from idsync.sources.scim.endpoint import ScimEndpoint
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.storage import InboxStorage
from idsync.sources.scim.storage_async import AsyncInboxStorage
from idsync.sources.scim.wire import ScimMount
from idsync.store import Store

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MOUNT = "/scim/v2/inbox"


@dataclass
class Pair:
    """The inbox served twice over one store: `fast` as idsync serves it, `core` without the direct path."""

    fast: httpx.Client
    core: httpx.Client
    endpoint: ScimEndpoint
    servers: tuple[RunningServer, RunningServer]

    def same(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET `path` from both; assert the answers are the same; the fast one."""
        fast = self.fast.get(path, headers=headers)
        core = self.core.get(path, headers=headers)
        assert fast.status_code == core.status_code, (path, fast.text, core.text)
        for name in ("content-type", "cache-control", "etag", "location", "content-location"):
            assert _local(fast.headers.get(name), self.fast) == _local(core.headers.get(name), self.core), (
                name
            )
        if core.content:
            assert _local(fast.json(), self.fast) == _local(core.json(), self.core), path
        return fast


def _local(value: Any, client: httpx.Client) -> Any:
    """`value` with the server's base URL taken out (the two servers listen on different ports)."""
    base = str(client.base_url).rstrip("/")
    if isinstance(value, str):
        return value.replace(base, "<base>")
    if isinstance(value, list):
        return [_local(v, client) for v in value]
    if isinstance(value, dict):
        return {k: _local(v, client) for k, v in value.items()}
    return value


def _app(store: Store, *, fast_reads: bool) -> tuple[Starlette, ScimEndpoint]:
    provider = inbox_provider()
    storage = AsyncInboxStorage(InboxStorage(store.engine, "inbox", provider))
    endpoint = ScimEndpoint(
        "inbox", storage, provider, store.engine, max_body_bytes=1 << 20, fast_reads=fast_reads
    )
    return Starlette(routes=[ScimMount(MOUNT, app=endpoint)]), endpoint


@pytest.fixture
def pair(store_url: str) -> Iterator[Pair]:
    with Store.open(store_url) as store:
        token = tokens.issue(store.engine, "inbox")
        fast_app, endpoint = _app(store, fast_reads=True)
        core_app, _ = _app(store, fast_reads=False)
        servers = (serve_in_thread(fast_app), serve_in_thread(core_app))
        auth = {"Authorization": f"Bearer {token}"}
        clients = [httpx.Client(base_url=f"{s.url}{MOUNT}", headers=auth, timeout=30) for s in servers]
        try:
            yield Pair(clients[0], clients[1], endpoint, servers)
        finally:
            for client in clients:
                client.close()
            for server in servers:
                server.stop()


PLAIN_USERS: list[dict[str, Any]] = [
    {"userName": "minimal"},
    {
        "userName": "Full.Person@Example.com",
        "externalId": "00u1",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "middleName": "", "formatted": "Ada L"},
        "displayName": "Ada Lovelace",
        "nickName": "ada",
        "profileUrl": "https://example.com/ada",
        "title": "Countess",
        "userType": "Employee",
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "active": False,
        "emails": [
            {"value": "ada@example.com", "type": "work", "primary": True},
            {"value": "ada@home.example", "type": "home"},
        ],
        "phoneNumbers": [{"value": "+44 1", "type": "mobile"}],
        "ims": [{"value": "ada", "type": "xmpp"}],
        "photos": [{"value": "https://example.com/ada.png", "type": "photo"}],
        "addresses": [{"streetAddress": "1 St", "locality": "London", "country": "GB", "primary": True}],
        "entitlements": [{"value": "e1"}],
        "roles": [{"value": "admin", "display": "Admin"}],
    },
    {"userName": "with-password", "password": "n0t-returned", "active": True},
    {"userName": "ünïcödé 名前", "displayName": '\u2603 "quoted" \\ back', "emails": []},
    {"userName": "empty-parts", "name": {}, "emails": [{}], "roles": []},
    {
        "userName": "enterprise",
        "schemas": [USER, ENTERPRISE],
        ENTERPRISE: {"employeeNumber": "7", "department": "R&D"},
    },
]
CORE_ONLY_USERS: list[dict[str, Any]] = [
    # a reference to another user: the core writes its URL
    {
        "userName": "managed",
        "schemas": [USER, ENTERPRISE],
        ENTERPRISE: {"manager": {"value": "x", "$ref": "Users/x"}},
    },
    # binary values: the core decodes and re-encodes them
    {"userName": "certified", "x509Certificates": [{"value": "TUlJRGNEQ0NBbGlnQXdJQkFnSUpBSw=="}]},
]


def _create(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post("/Users", json={"schemas": [USER], **body})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_user_reads_match_the_core(pair: Pair) -> None:
    made = [_create(pair.fast, body) for body in PLAIN_USERS + CORE_ONLY_USERS]
    # a PATCH through the core, and one that changes only a kept extension (meta rewritten by the inbox)
    patched = pair.fast.patch(
        f"/Users/{made[0]['id']}",
        json={"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "T"}]},
    )
    assert patched.status_code == 200
    kept = _create(pair.fast, {"userName": "kept-extension"})
    custom = "urn:example:params:scim:schemas:extension:custom:2.0:User"
    answer = pair.fast.patch(
        f"/Users/{kept['id']}",
        json={"schemas": [PATCH], "Operations": [{"op": "add", "path": f"{custom}:badge", "value": "B1"}]},
    )
    assert answer.status_code == 200, answer.text
    served = pair.endpoint.fast_served
    for user in made:
        shown = pair.same(f"/Users/{user['id']}").json()
        assert "password" not in shown
    assert pair.same(f"/Users/{kept['id']}").json()[custom] == {"badge": "B1"}
    # the plain users and the patched one came from the direct path; references, binaries, kept
    # extensions went to the core
    assert pair.endpoint.fast_served - served == len(PLAIN_USERS)
    for path in ("/Users/nobody", "/Users/", f"/Users/{made[0]['id']}?attributes=userName", "/Users/.search"):
        pair.same(path)
    for conditional in ({"If-None-Match": made[1]["meta"]["version"]}, {"If-Match": 'W/"9"'}):
        pair.same(f"/Users/{made[1]['id']}", headers=conditional)


def test_searches_match_the_core(pair: Pair) -> None:
    for body in PLAIN_USERS:
        _create(pair.fast, body)
    _create(pair.fast, {"userName": "twin-a", "externalId": "twin"})
    _create(pair.fast, {"userName": "twin-b", "externalId": "twin"})
    _create(pair.fast, {"userName": 'quote"inside'})
    _create(pair.fast, CORE_ONLY_USERS[0])
    group = pair.fast.post("/Groups", json={"schemas": [GROUP], "displayName": "Team", "members": []})
    assert group.status_code == 201
    served = pair.endpoint.fast_served
    direct = [
        'userName eq "minimal"',
        'userName eq "MINIMAL"',
        'username EQ "full.person@example.com"',
        f'{USER}:userName eq "with-password"',
        'userName eq "ünïcödé 名前"',
        'userName eq "quote\\"inside"',
        'userName eq "nobody"',
        'externalId eq "twin"',
        'externalId eq "TWIN"',
        'userName eq "enterprise"',
    ]
    for expression in direct:
        for paging in ({}, {"startIndex": "1", "count": "100"}, {"count": "0"}, {"startIndex": "2"}):
            pair.same("/Users?" + httpx.QueryParams({"filter": expression, **paging}).__str__())
    assert pair.endpoint.fast_served - served == 4 * len(direct)
    pair.same("/Groups?" + str(httpx.QueryParams({"filter": 'displayName eq "team"'})))
    to_core = [
        {"filter": 'userName eq "managed"'},  # its manager is a reference
        {"filter": 'userName  eq "minimal"'},
        {"filter": 'userName eq "minimal" '},
        {"filter": 'userName eq "bad\\q"'},
        {"filter": 'userName sw "min"'},
        {"filter": 'title eq "Countess"'},
        {"filter": 'userName eq "minimal"', "startIndex": "0"},
        {"filter": 'userName eq "minimal"', "count": "-1"},
        {"filter": 'userName eq "minimal"', "attributes": "userName"},
        {"filter": 'userName eq "minimal"', "sortBy": "userName"},
    ]
    served = pair.endpoint.fast_served
    for query in to_core:
        pair.same("/Users?" + str(httpx.QueryParams(query)))
    assert pair.endpoint.fast_served == served


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s.strip()),
    display=st.one_of(st.none(), st.text(max_size=20)),
    active=st.one_of(st.none(), st.booleans()),
    emails=st.lists(
        st.fixed_dictionaries({"value": st.text(max_size=10)}, optional={"primary": st.booleans()}),
        max_size=2,
    ),
)
def test_any_plain_user_reads_the_same(
    pair: Pair, name: str, display: str | None, active: bool | None, emails: list[dict[str, Any]]
) -> None:
    body: dict[str, Any] = {"userName": name, "emails": emails}
    if display is not None:
        body["displayName"] = display
    if active is not None:
        body["active"] = active
    answer = pair.fast.post("/Users", json={"schemas": [USER], **body})
    if answer.status_code != 201:
        return  # refused (taken name, or a value the core rejects): nothing stored to compare
    user = answer.json()
    before = pair.endpoint.fast_served
    pair.same(f"/Users/{user['id']}")
    pair.same("/Users?" + str(httpx.QueryParams({"filter": f"userName eq {_json_string(name)}"})))
    assert pair.endpoint.fast_served == before + 2  # both answered by the direct path


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


def test_direct_reads_see_every_write_at_once(pair: Pair) -> None:
    """The direct path's held SQLite connection reads each statement afresh: a write through the other
    server (another connection) shows on the very next read, a deletion makes it a 404."""
    user = _create(pair.fast, {"userName": "changing", "title": "one"})
    path = f"/Users/{user['id']}"
    assert pair.fast.get(path).json()["title"] == "one"
    for title in ("two", "three"):
        answer = pair.core.patch(
            path,
            json={"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": title}]},
        )
        assert answer.status_code == 200
        read = pair.same(path)
        assert read.json()["title"] == title and read.headers["etag"] == answer.headers["etag"]
        found = pair.same("/Users?" + str(httpx.QueryParams({"filter": 'userName eq "changing"'}))).json()
        assert found["Resources"][0]["title"] == title
    assert pair.core.delete(path).status_code == 204
    assert pair.same(path).status_code == 404
    assert (
        pair.same("/Users?" + str(httpx.QueryParams({"filter": 'userName eq "changing"'}))).json()[
            "totalResults"
        ]
        == 0
    )
