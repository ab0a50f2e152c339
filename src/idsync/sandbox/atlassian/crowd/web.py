"""HTTP plumbing shared by the Crowd routes: JSON or XML responses by `Accept`, Crowd's error body,
request bodies, query parameters, application permissions.

Every error leaves as `{"reason": "USER_NOT_FOUND", "message": "User <jdoe> does not exist"}`: routes
raise `CrowdError` and the app's exception handler renders it, so no route builds an error body.

Crowd answers in XML unless the client asks for JSON with `Accept: application/json` (commonly
reported; a `*/*` Accept also gets XML, as Jersey picks the first type a resource produces). The XML
here is a plain element-per-field rendering, enough to show a client that forgot the header what it
asked for; its exact shape is not Crowd's. Request bodies are JSON only: an XML body answers 415.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.web import EmulatorRuntime, json_object
from idsync.sandbox.atlassian.common.web import base_url as base_url  # re-exported for the routes
from idsync.sandbox.atlassian.common.web import query_int as int_param
from idsync.sandbox.atlassian.crowd.options import CrowdOptions
from idsync.sandbox.atlassian.crowd.state import CrowdGroup, CrowdState, CrowdUser

JSON = "application/json"
XML = "application/xml"
API = "/rest/usermanagement/1"
_SINGULAR = {"users": "user", "groups": "group", "attributes": "attribute", "values": "value"}


class CrowdError(Exception):
    """An error response in Crowd's format."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(status, reason, message)
        self.status = status
        self.reason = reason
        self.message = message


def wants_json(accept: str | None) -> bool:
    """Whether an Accept header asks for JSON (anything else gets Crowd's XML default)."""
    return accept is not None and "application/json" in accept.lower()


def _xml_children(data: dict[str, Any]) -> str:
    parts: list[str] = []
    for key, value in data.items():
        if key == "link" and isinstance(value, dict):
            attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in value.items())
            parts.append(f"<link{attrs}/>")
        elif isinstance(value, list):
            item = _SINGULAR.get(key, key)
            for element in value:
                parts.append(_xml_element(item, element))
        else:
            parts.append(_xml_element(key, value))
    return "".join(parts)


def _xml_element(name: str, value: Any) -> str:
    if isinstance(value, dict):
        expand = value.get("expand")
        attrs = f" expand={quoteattr(str(expand))}" if expand is not None else ""
        rest = {k: v for k, v in value.items() if k != "expand"}
        return f"<{name}{attrs}>{_xml_children(rest)}</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape('' if value is None else str(value))}</{name}>"


def render(data: Any, root: str, accept: str | None) -> tuple[bytes, str]:
    """The body and media type for `data`: JSON when asked for, else XML under `root`."""
    if wants_json(accept):
        return orjson.dumps(data), JSON
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + _xml_element(root, data)
    return xml.encode(), XML


def error_body(reason: str, message: str, accept: str | None) -> tuple[bytes, str]:
    """Crowd's error entity."""
    return render({"reason": reason, "message": message}, "error", accept)


def respond(request: Request, data: Any, root: str, status: int = 200) -> Response:
    """A Crowd entity in the representation the client asked for."""
    body, media = render(data, root, request.headers.get("accept"))
    return Response(body, status_code=status, media_type=media)


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    """A response without a body."""
    return Response(status_code=status, headers=headers)


async def body_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 415 / 400 naming what is wrong."""
    content_type = request.headers.get("content-type", "").lower()
    raw = await request.body()
    if raw and "json" not in content_type:
        raise CrowdError(415, "UNSUPPORTED_OPERATION", f"Unsupported request media type {content_type!r}; "
                         "this emulator accepts application/json bodies only")  # fmt: skip
    return json_object(
        raw,
        lambda reason: CrowdError(400, "ILLEGAL_ARGUMENT", f"Malformed JSON request body: {reason}"),
        lambda: CrowdError(400, "ILLEGAL_ARGUMENT", "The request body must be a JSON object."),
    )


def required_param(request: Request, name: str) -> str:
    """A mandatory query parameter, or 400 naming it (reason and text unverified)."""
    value = request.query_params.get(name)
    if not value:
        raise CrowdError(400, "ILLEGAL_ARGUMENT", f"The '{name}' query parameter is required.")
    return value


def query_int(request: Request, name: str, default: int, minimum: int = 0) -> int:
    """An integer query parameter, or 400 naming the parameter and the value."""
    return int_param(
        request,
        name,
        default,
        minimum,
        lambda raw: CrowdError(400, "ILLEGAL_ARGUMENT", f"Invalid {name} '{raw}': expected an integer."),
        lambda raw: CrowdError(400, "ILLEGAL_ARGUMENT", f"Invalid {name} '{raw}': must be >= {minimum}."),
    )


def page(request: Request, items: list[Any]) -> list[Any]:
    """The `start-index` / `max-results` slice of a list (default 1000 results, no total)."""
    start = query_int(request, "start-index", 0)
    size = query_int(request, "max-results", 1000, minimum=1)
    return items[start : start + size]


def expands(request: Request) -> set[str]:
    """The comma-separated names of `expand=` (several `expand` parameters are merged too)."""
    return {part.strip() for value in request.query_params.getlist("expand") for part in value.split(",")}


Runtime = EmulatorRuntime[CrowdOptions, CrowdState]
"""What routes reach through `request.app.state.runtime`; `state` is swapped on reset."""


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of(request: Request) -> CrowdState:
    """The current emulator state."""
    return runtime_of(request).state


_VERBS = {
    "CREATE_USER": "create users",
    "UPDATE_USER": "update users",
    "UPDATE_USER_ATTRIBUTE": "update user attributes",
    "DELETE_USER": "remove users",
    "CREATE_GROUP": "create groups",
    "UPDATE_GROUP": "update groups or their memberships",
    "UPDATE_GROUP_ATTRIBUTE": "update group attributes",
    "DELETE_GROUP": "remove groups",
}


def require(request: Request, operation: str) -> None:
    """403 APPLICATION_PERMISSION_DENIED unless the application has `operation` on the directory
    (the message text is unverified)."""
    options = runtime_of(request).options
    if operation not in options.permissions:
        app = request.scope.get("crowd.application", options.application)
        raise CrowdError(
            403,
            "APPLICATION_PERMISSION_DENIED",
            f"Application '{app}' is not allowed to {_VERBS[operation]} in directory "
            f"'{options.directory_name}'",
        )


def find_user(request: Request, param: str = "username", *, allow_key: bool = False) -> CrowdUser:
    """The user named by `?username=` (or `?key=` where Crowd accepts it): 404 USER_NOT_FOUND."""
    state = state_of(request)
    name = request.query_params.get(param)
    if name:
        user = state.user_by_name(name)
        if user is None:
            raise CrowdError(404, "USER_NOT_FOUND", f"User <{name}> does not exist")
        return user
    key = request.query_params.get("key") if allow_key else None
    if key:
        found = state.users.get(key)
        if found is None:
            raise CrowdError(404, "USER_NOT_FOUND", f"User with key <{key}> does not exist")
        return found
    raise CrowdError(400, "ILLEGAL_ARGUMENT", f"The '{param}' query parameter is required.")


def find_group(request: Request, param: str = "groupname") -> CrowdGroup:
    """The group named by `?groupname=`: 404 GROUP_NOT_FOUND."""
    name = required_param(request, param)
    group = state_of(request).group(name)
    if group is None:
        raise CrowdError(404, "GROUP_NOT_FOUND", f"Group <{name}> does not exist")
    return group
