"""HTTP plumbing shared by the Confluence routes: orjson responses, Confluence's error body, the
`results` / `_links.next` page envelope, query parsing and who the caller is.

Every error leaves as Confluence's JSON (the shape observed from real Confluence 7/8 responses):
`{"statusCode": 404, "data": {"authorized": false, "valid": true, "allowedInReadOnlyMode": true,
"errors": [], "successful": false}, "message": "...", "reason": "Not Found"}`. Routes raise
`ConfluenceError` and the app's exception handler renders it. Message texts are unverified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.web import EmulatorRuntime, json_object
from idsync.sandbox.atlassian.common.web import base_url as base_url  # re-exported for the routes
from idsync.sandbox.atlassian.common.web import query_int as int_param
from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.confluence.state import ConfluenceState, ConfluenceUser

JSON = "application/json"
API = "/rest/api"
ADMIN_GROUP = "confluence-administrators"
USERS_GROUP = "confluence-users"
PAGE_LIMIT = 200
"""`limit` of user and group listings: the default and the maximum (larger asks are capped silently)."""

T = TypeVar("T")


class ConfluenceError(Exception):
    """An error response in Confluence's format."""

    def __init__(self, status: int, message: str, *, valid: bool = True) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.valid = valid


def error_body(status: int, message: str, *, valid: bool = True) -> bytes:
    """Confluence's error JSON."""
    return orjson.dumps(
        {
            "statusCode": status,
            "data": {"authorized": False, "valid": valid, "allowedInReadOnlyMode": True, "errors": [],
                     "successful": False},
            "message": message,
            "reason": HTTPStatus(status).phrase,
        }
    )  # fmt: skip


def json(data: Any, status: int = 200) -> Response:
    """A JSON response, serialised with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


def empty(status: int = 204) -> Response:
    """A response without a body (the 204 of a void endpoint)."""
    return Response(status_code=status)


async def body_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming what is wrong."""
    return json_object(
        await request.body(),
        lambda reason: ConfluenceError(
            400, f"Unable to parse the request body as JSON: {reason}", valid=False
        ),
        lambda: ConfluenceError(400, "The request body must be a JSON object.", valid=False),
    )


def query_int(request: Request, name: str, default: int) -> int:
    """A non-negative integer query parameter, or a 400 naming the parameter and the value."""
    return int_param(
        request,
        name,
        default,
        0,
        lambda raw: ConfluenceError(400, f"Invalid value '{raw}' for query parameter '{name}'", valid=False),
        lambda raw: ConfluenceError(
            400, f"Query parameter '{name}' must not be negative: {raw}", valid=False
        ),
    )


def expansions(request: Request) -> frozenset[str]:
    """The comma-separated `expand` parameter as a set."""
    raw = request.query_params.get("expand", "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def page(request: Request, items: Sequence[T], render: Callable[[T], dict[str, Any]]) -> Response:
    """One page of `items` by `start` / `limit` in Confluence's envelope. `_links.next` (a path
    relative to `_links.base`) is present only when more items follow; there is no total."""
    start = query_int(request, "start", 0)
    limit = min(query_int(request, "limit", PAGE_LIMIT), PAGE_LIMIT) or PAGE_LIMIT
    chunk = items[start : start + limit]
    base = base_url(request)
    path = request.url.path
    others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("start", "limit")]
    links: dict[str, str] = {
        "base": base,
        "context": "",
        "self": f"{base}{path}" + (f"?{urlencode(others)}" if others else ""),
    }
    if start + len(chunk) < len(items):
        links["next"] = f"{path}?{urlencode([*others, ('limit', limit), ('start', start + limit)])}"
    if start > 0:
        links["prev"] = f"{path}?{urlencode([*others, ('limit', limit), ('start', max(0, start - limit))])}"
    return json(
        {"results": [render(item) for item in chunk], "start": start, "limit": limit, "size": len(chunk),
         "_links": links}
    )  # fmt: skip


Runtime = EmulatorRuntime[ConfluenceOptions, ConfluenceState]
"""What routes reach through `request.app.state.runtime`; `state` is swapped on reset."""


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of(request: Request) -> ConfluenceState:
    """The current state, with every long task that is due completed first."""
    runtime = runtime_of(request)
    runtime.state.settle(runtime.clock.now())
    return runtime.state


def caller(request: Request) -> ConfluenceUser | None:
    """The authenticated user (set by the auth middleware), or None for an anonymous request."""
    key: str | None = request.scope.get("confluence.user")
    return state_of(request).users.get(key) if key else None


def require_user(request: Request) -> ConfluenceUser:
    """The caller, or 401 for an anonymous request."""
    user = caller(request)
    if user is None:
        raise ConfluenceError(401, "This request requires authentication.")
    return user


def require_admin(request: Request) -> ConfluenceUser:
    """The caller when a Confluence administrator (member of confluence-administrators), else 403."""
    user = require_user(request)
    if ADMIN_GROUP not in user.groups:
        raise ConfluenceError(403, "You do not have permission to perform this operation.")
    return user
