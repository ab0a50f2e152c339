"""User administration: GET / POST / PUT / DELETE /admin/users, rename and credentials.

Creation takes query parameters (not a JSON body) and answers 204 without a body; PUT accepts exactly
`name`, `displayName` and `email` and rejects any other field as Jackson does. Both are as strict as
documented, so a sloppy client fails here rather than in production. There is no deactivate: `active`
is the directory's and read-only.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.bitbucket.beans import user_bean
from idsync.sandbox.atlassian.bitbucket.generator import DEFAULT_GROUP
from idsync.sandbox.atlassian.bitbucket.licence import CREATE_OVER_LIMIT, check_seats
from idsync.sandbox.atlassian.bitbucket.lookup import matches, user_named
from idsync.sandbox.atlassian.bitbucket.web import (
    API,
    INTEGRITY,
    BitbucketError,
    base_url,
    body_object,
    empty,
    json,
    page,
    query_bool,
    require_admin,
    require_permission,
    runtime_of,
    state_of,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_MAX = 255
UPDATE_FIELDS = frozenset({"name", "displayName", "email"})
DUPLICATE = "Another user with the same name already exists."  # the documented 409 text


def _field_error(context: str, message: str) -> BitbucketError:
    # Field validation: `context` names the field (as Bitbucket documents); texts unverified.
    return BitbucketError(400, message, context=context)


def _check_name(name: Any, context: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise _field_error(context, "A username is required.")
    if len(name) > _MAX:
        raise _field_error(context, "The username must be 255 characters or fewer.")
    if any(ch in name for ch in "/\\"):
        raise _field_error(context, "The username must not contain '/' or '\\'.")
    return name


def _check_email(email: Any, context: str) -> str:
    if not isinstance(email, str) or len(email) > _MAX or not _EMAIL.match(email):
        raise _field_error(context, "Please enter a valid email address.")
    return email


def _check_display_name(display_name: Any, context: str) -> str:
    if not isinstance(display_name, str) or not display_name.strip() or len(display_name) > _MAX:
        raise _field_error(context, "A display name of 1 to 255 characters is required.")
    return display_name


async def list_users(request: Request) -> Response:
    """GET /admin/users?filter=&start=&limit=: users whose username, display name or email contains
    the filter, by username."""
    require_admin(request)
    state = state_of(request)
    text = request.query_params.get("filter", "")
    users = [u for u in state.user_order() if matches(text, u.name, u.display_name, u.email)]
    base = base_url(request)
    return page(request, users, lambda u: user_bean(base, u, state))


async def licensed_users(request: Request) -> Response:
    """GET /users?filter=: the non-admin user search, which lists licensed users only."""
    require_permission(request, "LICENSED_USER")
    state = state_of(request)
    text = request.query_params.get("filter", "")
    users = [
        u
        for u in state.user_order()
        if state.is_licensed(u) and matches(text, u.name, u.display_name, u.email)
    ]
    base = base_url(request)
    return page(request, users, lambda u: user_bean(base, u, state))


async def create_user(request: Request) -> Response:
    """POST /admin/users?name=&displayName=&emailAddress=&password=&addToDefaultGroup=&notify=: 204."""
    require_admin(request)
    state = state_of(request)
    params = request.query_params
    name = _check_name(params.get("name"), "name")
    display_name = _check_display_name(params.get("displayName"), "displayName")
    email = _check_email(params.get("emailAddress"), "emailAddress")
    notify = query_bool(request, "notify", False)
    password = params.get("password")
    if not password and not notify:
        raise _field_error("password", "A password is required unless the user is notified to set one.")
    if state.user_by_name(name) is not None:
        raise BitbucketError(409, DUPLICATE, context="name", exception=INTEGRITY)
    default = state.group(DEFAULT_GROUP) if query_bool(request, "addToDefaultGroup", True) else None
    user = state.add_user(name, display_name, email, runtime_of(request).clock.now(), password or None)
    if default is not None:
        try:
            check_seats(request, [user], [default], CREATE_OVER_LIMIT)
        except BitbucketError:
            state.delete_user(user)  # refused as a whole: the user is not created either
            raise
        state.add_member(default, user)
    return empty(204)


async def update_user(request: Request) -> Response:
    """PUT /admin/users {"name", "displayName"?, "email"?}: 200 RestDetailedUser."""
    require_admin(request)
    body = await body_object(request)
    unknown = sorted(set(body) - UPDATE_FIELDS)
    if unknown:
        # Jackson's message as Bitbucket answers it for "active" (seen in a support answer)
        raise BitbucketError(
            400,
            f'Unrecognized field "{unknown[0]}" (Class '
            "com.atlassian.stash.internal.rest.user.json.UserUpdate), not marked as ignorable",
        )
    user = user_named(request, body.get("name"))
    if "displayName" in body:
        user.display_name = _check_display_name(body["displayName"], "displayName")
    if "email" in body:
        user.email = _check_email(body["email"], "email")
    return json(user_bean(base_url(request), user, state_of(request)))


async def delete_user(request: Request) -> Response:
    """DELETE /admin/users?name=: 200 with the deleted user; not oneself, and an ADMIN cannot delete a
    SYS_ADMIN (texts unverified)."""
    caller = require_admin(request)
    state = state_of(request)
    user = user_named(request, request.query_params.get("name"))
    if user is caller:
        raise BitbucketError(409, "A user can not delete themselves.", exception=INTEGRITY)
    if state.permission_of(user) == "SYS_ADMIN" and state.permission_of(caller) != "SYS_ADMIN":
        raise BitbucketError(403, "An administrator can not delete a system administrator.")
    bean = user_bean(base_url(request), user, state)
    state.delete_user(user)
    return json(bean)


async def rename_user(request: Request) -> Response:
    """POST /admin/users/rename {"name", "newName"}: 200 RestDetailedUser; id kept, slug follows.
    A taken new name is a 400, the codes documented for rename (its text unverified)."""
    require_admin(request)
    state = state_of(request)
    body = await body_object(request)
    user = user_named(request, body.get("name"))
    new_name = _check_name(body.get("newName"), "newName")
    holder = state.user_by_name(new_name)
    if holder is not None and holder is not user:
        raise BitbucketError(400, DUPLICATE, context="newName")
    state.rename_user(user, new_name)
    return json(user_bean(base_url(request), user, state))


async def set_credentials(request: Request) -> Response:
    """PUT /admin/users/credentials {"name", "password", "passwordConfirm"}: 204."""
    require_admin(request)
    body = await body_object(request)
    user = user_named(request, body.get("name"))
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise _field_error("password", "A password is required.")
    if body.get("passwordConfirm") != password:
        raise _field_error("passwordConfirm", "The passwords do not match.")
    user.password = password
    return empty(204)


def routes() -> list[Route]:
    """The user routes under /rest/api/1.0."""
    return [
        Route(f"{API}/admin/users", list_users, methods=["GET"]),
        Route(f"{API}/admin/users", create_user, methods=["POST"]),
        Route(f"{API}/admin/users", update_user, methods=["PUT"]),
        Route(f"{API}/admin/users", delete_user, methods=["DELETE"]),
        Route(f"{API}/admin/users/rename", rename_user, methods=["POST"]),
        Route(f"{API}/admin/users/credentials", set_credentials, methods=["PUT"]),
        Route(f"{API}/users", licensed_users, methods=["GET"]),
    ]
