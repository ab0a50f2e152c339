"""Direct answers to the two reads an IdP repeats all day: GET /Users/{id} and
GET /Users?filter=userName eq "…" (any type, any indexed single-valued attribute).

Why: through the protocol core each of these cost ~1 ms of CPU on top of the database read — the
stored document validated into a model, deep-copied to publish it, dumped again under the returned
rules, a thread hop per storage call — so one uvicorn process answered ~900 of them per second.
Here the stored JSON document is turned into the answer directly, applying the rules the core
applies to such a read:

- attributes with `returned: never` (password) or `returned: request` are left out (no
  `attributes` parameter is accepted on this path);
- empty values (`[]`, `{}`, `{}` entries of a list) are dropped, level by level;
- `schemas` names an extension only when the answer carries its attributes (RFC 7643 §3);
- `meta` gets `location`, and the ETag / Content-Location / Location headers are the core's.

It answers only when it can show the answer is the core's: anything it does not model as a plain
value sends the request on to the core unchanged — a resource reference (`$ref` to a User or Group,
which the core turns into a URL), a binary or date value outside `meta`, a null, an unknown or kept
extension attribute, a conditional header (If-Match / If-None-Match), any other query parameter, a
filter of any other shape, a missing resource (the core writes the 404) and every SCIM 1.1 request.
tests/sources/scim/test_fast_reads.py serves both paths over one database and compares the answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

import orjson
from scim2_server.responses import ScimResponse
from sqlalchemy import Select
from sqlalchemy.engine import Engine

from idsync.sources.scim.compat import WireRequest
from idsync.sources.scim.fast_render import NotPlain, TypeRendering
from idsync.sources.scim.provider import MAX_RESULTS
from idsync.sources.scim.storage import InboxStorage
from idsync.sources.scim.storage_keys import BY_ID, BY_KEY
from idsync.store.db import read_transaction

Statement = Select[Any, Any] | Select[Any]
"""BY_ID (one column) or BY_KEY (two)."""
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_EQ = re.compile(r'([A-Za-z][A-Za-z0-9:._-]*) [eE][qQ] ("(?:[^"\\]|\\.)*")', re.DOTALL)
"""`attribute eq "string"` exactly as IdPs send it (single spaces, nothing around it)."""
_DIGITS = re.compile(r"[0-9]{1,9}")
_SEARCH_KEYS = frozenset({"filter", "startIndex", "count"})


@dataclass(frozen=True)
class Search:
    """A search this module answers: one `eq` on an indexed attribute, index paging."""

    urn: str
    value: str
    start: int
    count: int


def read_search(query: Mapping[str, str], rendering: TypeRendering) -> Search | None:
    """The search of a query string, or None when it is anything the core must read itself."""
    if "filter" not in query or not set(query) <= _SEARCH_KEYS:
        return None
    match = _EQ.fullmatch(query["filter"])
    if match is None:
        return None
    urn = rendering.lookups.get(match.group(1).casefold())
    if urn is None:
        return None
    try:
        value = orjson.loads(match.group(2))
    except orjson.JSONDecodeError:
        return None
    start, count = query.get("startIndex", "1"), query.get("count", str(MAX_RESULTS))
    if not _DIGITS.fullmatch(start) or not _DIGITS.fullmatch(count) or int(start) < 1:
        return None
    return Search(urn, value, int(start), min(int(count), MAX_RESULTS))


class DocumentReads:
    """The two statements of the direct path, each run at the least cost per read the database allows.

    On SQLite one DBAPI connection of the event loop's thread runs the prebuilt SQL as a single
    autocommit statement (its own consistent snapshot; in WAL mode a reader never waits for a
    writer): opening a SQLAlchemy connection and transaction per read cost more than the indexed
    lookup. On PostgreSQL a read is a network round trip, run by SQLAlchemy Core in a worker thread
    so the event loop keeps serving (`inline` is False)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite"
        self._raw: Any = None
        self._sql = {statement: statement.compile(dialect=engine.dialect) for statement in (BY_ID, BY_KEY)}

    def rows(self, statement: Statement, parameters: dict[str, str]) -> list[tuple[Any, ...]]:
        """The rows of BY_ID or BY_KEY for these parameters."""
        if not self.inline:
            with read_transaction(self.engine) as conn:
                return [tuple(row) for row in conn.execute(statement, parameters)]
        compiled = self._sql[statement]
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        try:
            cursor = self._raw.cursor()
            try:
                cursor.execute(compiled.string, [parameters[name] for name in compiled.positiontup or ()])
                return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
        except Exception:
            raw, self._raw = self._raw, None  # a fresh connection for the next read
            raw.invalidate()
            raise


class FastReads:
    """The direct path of one SCIM 2.0 mount (see the module docstring)."""

    def __init__(self, storage: InboxStorage, location_of: Any) -> None:
        """`location_of(base_url, resource_type, id)` is the core's resource_location."""
        self.storage = storage
        self.location_of = location_of
        self.reads = DocumentReads(storage.engine)
        self.types: dict[str, TypeRendering] = {}
        for resource_type in storage.provider.resource_types:
            name = cast(str, resource_type.name)
            self.types[cast(str, resource_type.endpoint).strip("/")] = TypeRendering.of(
                resource_type, storage.model(name)
            )

    def target(self, wire: WireRequest, conditional: bool) -> tuple[TypeRendering, str | None] | None:
        """(the type, the id or None for a search) when this path may answer the request."""
        if wire.method != "GET" or conditional:
            return None
        parts = wire.path.strip("/").split("/")
        rendering = self.types.get(parts[0])
        if rendering is None or len(parts) > 2 or wire.path != "/" + "/".join(parts):
            return None
        if len(parts) == 2:
            if wire.query or not parts[1] or parts[1].startswith("."):
                return None
            return rendering, parts[1]
        return (rendering, None) if "filter" in wire.query else None

    def get(self, rendering: TypeRendering, resource_id: str, base_url: str) -> ScimResponse | None:
        """GET /<Type>/{id} from the stored document; None when the core must answer."""
        name = cast(str, rendering.resource_type.name)
        rows = self.reads.rows(
            BY_ID, {"connection": self.storage.connection, "name": name, "id": resource_id}
        )
        if not rows:
            return None  # the core writes the 404
        location = self.location_of(base_url, rendering.resource_type, resource_id)
        try:
            rendered = rendering.render(orjson.loads(rows[0][0]), location)
        except NotPlain:
            return None
        if rendered["id"] != resource_id:
            return None
        headers = {"Content-Location": location}
        if "version" in rendered["meta"]:
            headers["ETag"] = rendered["meta"]["version"]
        return ScimResponse(HTTPStatus.OK, rendered, headers)

    def search(self, rendering: TypeRendering, search: Search, base_url: str) -> ScimResponse | None:
        """GET /<Type>?filter=<attr> eq "…" through scim_keys; None when the core must answer."""
        name = cast(str, rendering.resource_type.name)
        try:
            compared = self.storage.index.binding(name, search.urn).comparable(search.value)
        except ValueError:
            return None
        parameters = {
            "connection": self.storage.connection,
            "name": name,
            "urn": search.urn,
            "value": str(compared),
        }
        found = []
        for _type, body in self.reads.rows(BY_KEY, parameters):
            doc = orjson.loads(body)
            resource_id = doc.get("id") if isinstance(doc, dict) else None
            if not isinstance(resource_id, str):
                return None
            try:
                found.append(
                    rendering.render(doc, self.location_of(base_url, rendering.resource_type, resource_id))
                )
            except NotPlain:
                return None
        found.sort(key=lambda resource: cast(str, resource["id"]))
        page = found[search.start - 1 : search.start - 1 + search.count]
        listed = {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(found),
            "startIndex": search.start,
            "itemsPerPage": len(page),
            "Resources": page,
        }
        return ScimResponse(HTTPStatus.OK, listed)

    def answer(self, wire: WireRequest, conditional: bool, base_url: str) -> ScimResponse | None:
        """The answer to a read this path serves, or None: the core answers (blocking: one read).
        `conditional`: the request has an If-* header (the core evaluates those)."""
        target = self.target(wire, conditional)
        if target is None:
            return None
        rendering, resource_id = target
        if resource_id is not None:
            return self.get(rendering, resource_id, base_url)
        search = read_search(wire.query, rendering)
        return None if search is None else self.search(rendering, search, base_url)
