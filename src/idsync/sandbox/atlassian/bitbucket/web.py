"""HTTP plumbing shared by the Bitbucket routes: orjson responses, Bitbucket's error envelope, the
paged-response envelope, query parsing and the caller's permission checks.

Every error leaves as `{"errors": [{"context": ..., "message": ..., "exceptionName": ...}]}`: routes
raise `BitbucketError` and the app's exception handler renders it. Validation errors set `context` to
the field name. Pages are `{"size", "limit", "isLastPage", "values", "start", "nextPageStart"}`, with
`nextPageStart` left out on the last page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions
from idsync.sandbox.atlassian.bitbucket.state import BitbucketState, BitbucketUser
from idsync.sandbox.atlassian.common.web import EmulatorRuntime, json_object
from idsync.sandbox.atlassian.common.web import base_url as base_url  # re-exported for the routes
from idsync.sandbox.atlassian.common.web import query_bool as query_bool
from idsync.sandbox.atlassian.common.web import query_int as int_param

JSON = "application/json;charset=UTF-8"
API = "/rest/api/1.0"
DEFAULT_LIMIT = 25
T = TypeVar("T")

EXC = "com.atlassian.bitbucket."
NO_SUCH_USER = EXC + "user.NoSuchUserException"
NO_SUCH_GROUP = EXC + "user.NoSuchGroupException"
AUTHORISATION = EXC + "AuthorisationException"
VALIDATION = EXC + "validation.ArgumentValidationException"
INTEGRITY = EXC + "IntegrityException"
LICENCE_LIMIT = EXC + "license.LicenseLimitException"
"""The exception names above other than the two NoSuch* ones are unverified (Bitbucket's
documentation shows only those and the authentication failure's)."""


class BitbucketError(Exception):
    """An error response in Bitbucket's format (one entry in `errors`)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        context: str | None = None,
        exception: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.context = context
        self.exception = exception
        self.headers = headers or {}


def error_body(message: str, context: str | None = None, exception: str | None = None) -> bytes:
    """Bitbucket's error JSON with one error."""
    return orjson.dumps({"errors": [{"context": context, "message": message, "exceptionName": exception}]})


def json(data: Any, status: int = 200) -> Response:
    """A JSON response, serialised with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


def empty(status: int) -> Response:
    """A response without a body (the 204 of create user, the 200 of the membership calls)."""
    return Response(status_code=status)


async def body_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming what is wrong."""
    return json_object(
        await request.body(),
        lambda reason: BitbucketError(400, f"Unexpected character in the request body: {reason}"),
        lambda: BitbucketError(400, "The request body must be a JSON object."),
    )


def query_int(request: Request, name: str, default: int, minimum: int = 0) -> int:
    """An integer query parameter, or a 400 naming the parameter and the value."""
    return int_param(
        request,
        name,
        default,
        minimum,
        lambda raw: BitbucketError(
            400, f"Invalid value '{raw}' for '{name}': expected an integer.", context=name
        ),
        lambda raw: BitbucketError(
            400, f"Invalid value '{raw}' for '{name}': must be >= {minimum}.", context=name
        ),
    )


def required_param(request: Request, name: str) -> str:
    """A query parameter that must be present and non-empty."""
    value = request.query_params.get(name)
    if not value:
        raise BitbucketError(
            400, f"The '{name}' query parameter is required.", context=name, exception=VALIDATION
        )
    return value


def page(request: Request, items: Sequence[T], render: Any) -> Response:
    """One page of `items` as `?start=&limit=` ask, `limit` capped at the server's maximum."""
    start = query_int(request, "start", 0)
    limit = min(
        query_int(request, "limit", DEFAULT_LIMIT, minimum=1), runtime_of(request).options.max_page_size
    )
    chunk = items[start : start + limit]
    last = start + len(chunk) >= len(items)
    body: dict[str, Any] = {
        "size": len(chunk),
        "limit": limit,
        "isLastPage": last,
        "values": [render(item) for item in chunk],
        "start": start,
    }
    if not last:
        body["nextPageStart"] = start + len(chunk)
    return json(body)


Runtime = EmulatorRuntime[BitbucketOptions, BitbucketState]
"""What routes reach through `request.app.state.runtime`; `state` is swapped on reset."""


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of(request: Request) -> BitbucketState:
    """The current emulator state."""
    return runtime_of(request).state


def require_user(request: Request) -> BitbucketUser:
    """The authenticated caller, or 401 for an anonymous request."""
    uid: int | None = request.scope.get("bitbucket.user")
    state = state_of(request)
    if uid is None or uid not in state.users:
        # wording as Bitbucket answers anonymous REST calls, from memory (unverified)
        raise BitbucketError(
            401, "Authentication required to access this resource. Please log in.", exception=AUTHORISATION
        )
    return state.users[uid]


def require_permission(request: Request, needed: str) -> BitbucketUser:
    """The caller when it holds `needed` (or higher) globally. Bitbucket answers a caller short of the
    permission with 401, not 403 (documented as "401 not admin"); the text is unverified."""
    user = require_user(request)
    if not state_of(request).has_permission(user, needed):
        raise BitbucketError(
            401,
            f"You are not permitted to access this resource ({needed} permission required).",
            exception=AUTHORISATION,
        )
    return user


def require_admin(request: Request) -> BitbucketUser:
    """The caller when it holds ADMIN or SYS_ADMIN (what every /admin route needs)."""
    return require_permission(request, "ADMIN")
