"""HTTP plumbing shared by the Jira routes: orjson responses, the Jira error body, query parsing.

Every error leaves as `{"errorMessages": [...], "errors": {...}}`: routes raise
`JiraError` and the app's exception handler renders it, so no route builds an error body itself.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.web import EmulatorRuntime, json_object
from idsync.sandbox.atlassian.common.web import base_url as base_url  # re-exported for the routes
from idsync.sandbox.atlassian.common.web import query_bool as query_bool
from idsync.sandbox.atlassian.common.web import query_int as int_param
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.atlassian.jira.state import JiraState, JiraUser

JSON = "application/json;charset=UTF-8"


class JiraError(Exception):
    """An error response in Jira's format."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}
        self.headers = headers or {}


def error_body(messages: list[str], errors: dict[str, str] | None = None) -> bytes:
    """Jira's error JSON."""
    return orjson.dumps({"errorMessages": messages, "errors": errors or {}})


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response, serialised with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)


def empty(status: int) -> Response:
    """A response without a body (204, or the 200 of DELETE /group)."""
    return Response(status_code=status)


async def body_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming what is wrong."""
    return json_object(
        await request.body(),
        lambda reason: JiraError(400, f"Unexpected character in the request body: {reason}"),
        lambda: JiraError(400, "The request body must be a JSON object."),
    )


def query_int(request: Request, name: str, default: int, minimum: int = 0) -> int:
    """An integer query parameter, or a 400 naming the parameter and the value."""
    return int_param(
        request,
        name,
        default,
        minimum,
        lambda raw: JiraError(400, f"Invalid value '{raw}' for parameter '{name}': expected an integer."),
        lambda raw: JiraError(400, f"Invalid value '{raw}' for parameter '{name}': must be >= {minimum}."),
    )


Runtime = EmulatorRuntime[JiraOptions, JiraState]
"""What routes reach through `request.app.state.runtime`; `state` is swapped on reset."""


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of(request: Request) -> JiraState:
    """The current emulator state."""
    return runtime_of(request).state


def caller_key(request: Request) -> str | None:
    """Key of the authenticated user (set by the auth middleware); None for anonymous requests."""
    key: str | None = request.scope.get("jira.user")
    return key


ADMIN_GROUP = "jira-administrators"


def require_user(request: Request) -> JiraUser:
    """The caller, or 401 in JSON for an anonymous request."""
    key = caller_key(request)
    state = state_of(request)
    if key is None or key not in state.users:
        # Wording as real Jira answers anonymous REST calls (from memory; unverified).
        raise JiraError(401, "You are not authenticated. Authentication required to perform this operation.")
    return state.users[key]


def require_admin(request: Request) -> JiraUser:
    """The caller when a member of jira-administrators (Jira: user and group writes need the Jira
    Administrators global permission), else 403 (message text unverified)."""
    user = require_user(request)
    if ADMIN_GROUP not in user.groups:
        raise JiraError(403, "You do not have the permission to perform this operation.")
    return user
