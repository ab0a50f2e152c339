"""User routes: GET/POST/PUT/DELETE /user, /user/password, /user/rename and /user/attribute.

Status codes as the Crowd REST resources documentation gives them; the `reason` values are Crowd's
error enumeration, and the message texts are this emulator's (the real wording is unverified).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.crowd.entities import attributes_entity, user_entity
from idsync.sandbox.atlassian.crowd.state import CrowdState, CrowdUser
from idsync.sandbox.atlassian.crowd.web import (
    API,
    CrowdError,
    base_url,
    body_object,
    empty,
    expands,
    find_user,
    require,
    required_param,
    respond,
    runtime_of,
    state_of,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_MAX = 255


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > _MAX:
        raise CrowdError(
            400, "INVALID_USER", f"Invalid {field}: expected a string of at most {_MAX} characters"
        )
    return value


def _check_name(state: CrowdState, name: Any, current: CrowdUser | None = None) -> str:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise CrowdError(400, "INVALID_USER", "A username is required and may not start or end with spaces")
    if len(name) > _MAX:
        raise CrowdError(400, "INVALID_USER", f"The username must not exceed {_MAX} characters")
    other = state.user_by_name(name)
    if other is not None and other is not current:
        raise CrowdError(400, "INVALID_USER", f"User <{name}> already exists")
    return name


def _check_email(email: str) -> str:
    if email and not _EMAIL.match(email):
        raise CrowdError(400, "INVALID_EMAIL", f"Invalid email address <{email}>")
    return email


def _names(body: dict[str, Any]) -> tuple[str, str, str]:
    """first, last and display name. Crowd fills a missing display name from first + last; this
    emulator also splits a display name when first and last are missing (unverified leniency)."""
    first, last, display = _text(body, "first-name"), _text(body, "last-name"), _text(body, "display-name")
    if not display:
        display = f"{first} {last}".strip()
    if not first and not last and display:
        first, _, last = display.rpartition(" ")
        if not first:
            first, last = last, ""
    return first, last, display


def _active(body: dict[str, Any], default: bool) -> bool:
    value = body.get("active")
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise CrowdError(400, "INVALID_USER", f"Invalid value {value!r} for 'active': expected true or false")


async def get_user(request: Request) -> Response:
    """GET /user?username=|key=[&expand=attributes]: 200 User or 404."""
    user = find_user(request, allow_key=True)
    return respond(request, user_entity(base_url(request), user, "attributes" in expands(request)), "user")


async def create_user(request: Request) -> Response:
    """POST /user: 201 with a Location header and the User; 400 invalid, exists or no password."""
    require(request, "CREATE_USER")
    state = state_of(request)
    body = await body_object(request)
    name = _check_name(state, body.get("name"))
    password = body.get("password")
    value = password.get("value") if isinstance(password, dict) else None
    if not isinstance(value, str) or not value:
        # The documented 400 for a missing password; the reason is a guess (unverified).
        raise CrowdError(400, "INVALID_CREDENTIAL", "A password is required to create a user")
    first, last, display = _names(body)
    email = _check_email(_text(body, "email"))
    now = runtime_of(request).clock.now()
    user = state.add_user(name, first, last, display, email, now, active=_active(body, True), password=value)
    base = base_url(request)
    location = f"{base}{API}/user?username={quote(user.name)}"
    response = respond(request, user_entity(base, user), "user", status=201)
    response.headers["location"] = location
    return response


async def update_user(request: Request) -> Response:
    """PUT /user?username=: replaces first / last / display name and email with the body's (left-out
    fields become empty, so clients resend them); `active` deactivates or reactivates (left out: kept,
    unverified). The body's name must match the URI's; renaming is POST /user/rename."""
    require(request, "UPDATE_USER")
    user = find_user(request)
    body = await body_object(request)
    name = body.get("name")
    if not isinstance(name, str) or name.lower() != user.name.lower():
        raise CrowdError(400, "ILLEGAL_ARGUMENT", f"The user name in the body ({name!r}) does not match "
                         f"the user name in the URI ({user.name!r})")  # fmt: skip
    first, last, display = _names(body)
    email = _check_email(_text(body, "email"))
    active = _active(body, user.active)
    user.first_name, user.last_name, user.display_name, user.email = first, last, display, email
    user.active = active
    user.updated = runtime_of(request).clock.now()
    return empty(204)


async def delete_user(request: Request) -> Response:
    """DELETE /user?username=: 204, or 404."""
    require(request, "DELETE_USER")
    state_of(request).delete_user(find_user(request))
    return empty(204)


async def set_password(request: Request) -> Response:
    """PUT /user/password?username= {"value"}: 204; 400 for an empty password."""
    require(request, "UPDATE_USER")
    user = find_user(request)
    value = (await body_object(request)).get("value")
    if not isinstance(value, str) or not value:
        raise CrowdError(400, "INVALID_CREDENTIAL", "The new password must not be empty")
    user.password = value
    return empty(204)


async def rename_user(request: Request) -> Response:
    """POST /user/rename?username= {"new-name"}: 200 with the renamed User; the key stays."""
    require(request, "UPDATE_USER")
    state = state_of(request)
    user = find_user(request)
    new_name = _check_name(state, (await body_object(request)).get("new-name"), current=user)
    state.rename_user(user, new_name)
    user.updated = runtime_of(request).clock.now()
    return respond(request, user_entity(base_url(request), user), "user")


async def get_attributes(request: Request) -> Response:
    """GET /user/attribute?username=: 200 `{"attributes": [...], "link"}`."""
    user = find_user(request)
    return respond(request, attributes_entity(base_url(request), user), "attributes")


async def set_attributes(request: Request) -> Response:
    """POST /user/attribute?username= {"attributes": [{"name", "values"}]}: 204. Attributes the body
    does not name keep their values."""
    require(request, "UPDATE_USER_ATTRIBUTE")
    user = find_user(request)
    items = (await body_object(request)).get("attributes")
    if not isinstance(items, list):
        raise CrowdError(400, "ILLEGAL_ARGUMENT", 'The body must be {"attributes": [{"name", "values"}]}')
    parsed: dict[str, list[str]] = {}
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or len(name) > _MAX:
            raise CrowdError(400, "ILLEGAL_ARGUMENT", "Every attribute needs a name of 1-255 characters")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CrowdError(
                400, "ILLEGAL_ARGUMENT", f"Attribute {name!r}: 'values' must be a list of strings"
            )
        parsed[name] = list(values)
    user.attributes.update(parsed)
    user.updated = runtime_of(request).clock.now()
    return empty(204)


async def delete_attribute(request: Request) -> Response:
    """DELETE /user/attribute?username=&attributename=: 204 (also when the attribute is not set)."""
    require(request, "UPDATE_USER_ATTRIBUTE")
    user = find_user(request)
    user.attributes.pop(required_param(request, "attributename"), None)
    return empty(204)


def routes() -> list[Route]:
    """The /user routes."""
    return [
        Route(f"{API}/user", get_user, methods=["GET"]),
        Route(f"{API}/user", create_user, methods=["POST"]),
        Route(f"{API}/user", update_user, methods=["PUT"]),
        Route(f"{API}/user", delete_user, methods=["DELETE"]),
        Route(f"{API}/user/password", set_password, methods=["PUT"]),
        Route(f"{API}/user/rename", rename_user, methods=["POST"]),
        Route(f"{API}/user/attribute", get_attributes, methods=["GET"]),
        Route(f"{API}/user/attribute", set_attributes, methods=["POST"]),
        Route(f"{API}/user/attribute", delete_attribute, methods=["DELETE"]),
    ]
