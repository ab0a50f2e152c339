"""Searches: GET /search with a CQL restriction (cql.py), and POST /search with a JSON restriction
body. Results are ordered by name and paged without a total (an empty or short page is the last).

The POST body shape is recalled from the Crowd documentation, not verified; this emulator accepts
`{"restriction-type": "property-search-restriction", "property": {"name", "type"}, "match-mode",
"value"}`, `{"restriction-type": "boolean-search-restriction", "boolean-logic": "and"|"or",
"restrictions": [...]}` and `{"restriction-type": "null-search-restriction"}` (everything).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.crowd.cql import GROUP_FIELDS, USER_FIELDS, Predicate, parse
from idsync.sandbox.atlassian.crowd.entities import group_list, user_list
from idsync.sandbox.atlassian.crowd.web import (
    API,
    CrowdError,
    base_url,
    body_object,
    expands,
    page,
    respond,
    state_of,
)

_MODES: dict[str, Callable[[str, str], bool]] = {
    "EXACTLY_MATCHES": lambda actual, wanted: actual == wanted,
    "CONTAINS": lambda actual, wanted: wanted in actual,
    "STARTS_WITH": lambda actual, wanted: actual.startswith(wanted),
    "ENDS_WITH": lambda actual, wanted: actual.endswith(wanted),
    "GREATER_THAN": lambda actual, wanted: actual > wanted,
    "LESS_THAN": lambda actual, wanted: actual < wanted,
}


def _bad(message: str) -> CrowdError:
    return CrowdError(400, "ILLEGAL_ARGUMENT", f"Invalid search restriction: {message}")


def _restriction(data: Any, fields: dict[str, tuple[str, str]]) -> Predicate:
    kind = data.get("restriction-type") if isinstance(data, dict) else None
    if kind == "null-search-restriction":
        return lambda entity: True
    if kind == "boolean-search-restriction":
        parts = [_restriction(r, fields) for r in data.get("restrictions") or []]
        if str(data.get("boolean-logic", "")).lower() == "or":
            return lambda entity: any(p(entity) for p in parts)
        return lambda entity: all(p(entity) for p in parts)
    if kind != "property-search-restriction":
        raise _bad(f"unknown restriction-type {kind!r}")
    prop = data.get("property") or {}
    spec = fields.get(str(prop.get("name", "")).lower())
    mode = _MODES.get(str(data.get("match-mode", "")))
    if spec is None or mode is None:
        raise _bad(f"unknown property {prop.get('name')!r} or match-mode {data.get('match-mode')!r}")
    attribute, kind_of = spec
    if kind_of == "bool":
        wanted_bool = str(data.get("value", "")).lower() == "true"
        return lambda entity: bool(getattr(entity, attribute)) == wanted_bool
    if kind_of == "date":
        raise _bad("date properties are searched with CQL (GET /search) in this emulator")
    wanted = str(data.get("value", "")).lower()
    return lambda entity: mode(str(getattr(entity, attribute) or "").lower(), wanted)


def _answer(request: Request, kind: str, matches: Predicate) -> Response:
    state = state_of(request)
    base = base_url(request)
    if kind == "user":
        users = page(request, [u for u in state.user_order() if matches(u)])
        return respond(request, user_list(base, users, expands(request)), "users")
    groups = page(request, [g for _, g in sorted(state.groups.items()) if matches(g)])
    return respond(request, group_list(base, groups, expands(request)), "groups")


def _entity_type(request: Request) -> str:
    kind = request.query_params.get("entity-type", "")
    if kind not in ("user", "group"):
        raise CrowdError(400, "ILLEGAL_ARGUMENT", f"Invalid entity-type {kind!r}; valid: user, group")
    return kind


async def search(request: Request) -> Response:
    """GET /search?entity-type=&restriction=<CQL>: UserList or GroupList of what matches."""
    kind = _entity_type(request)
    fields = USER_FIELDS if kind == "user" else GROUP_FIELDS
    return _answer(request, kind, parse(request.query_params.get("restriction", ""), fields))


async def search_by_body(request: Request) -> Response:
    """POST /search?entity-type= with a JSON restriction body."""
    kind = _entity_type(request)
    fields = USER_FIELDS if kind == "user" else GROUP_FIELDS
    return _answer(request, kind, _restriction(await body_object(request), fields))


def routes() -> list[Route]:
    """The search routes."""
    return [
        Route(f"{API}/search", search, methods=["GET"]),
        Route(f"{API}/search", search_by_body, methods=["POST"]),
    ]
