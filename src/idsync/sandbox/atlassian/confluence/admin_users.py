"""User administration under `/rest/api/admin/user` and long tasks (see versions.py for which
release has which endpoint).

Create (8.4+) answers 201 `{"userKey"}`; 409 when the username is taken; 402 when no licence seat is
left (`licensed_users`: enabled users hold seats, disabled ones do not). Update, disable and enable are
void (204). Delete is asynchronous: 202 with a long-task submission, the user disappears when the task
finishes (`delete_task_seconds` later on the emulator clock); `GET /rest/api/longtask/{id}` reports it.
Validation rules are the documented ones; the message texts are unverified.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.confluence.beans import task_status
from idsync.sandbox.atlassian.confluence.state import ConfluenceUser
from idsync.sandbox.atlassian.confluence.users import no_such_user
from idsync.sandbox.atlassian.confluence.versions import ALWAYS, USER_ADMIN, USER_LIFECYCLE, Since
from idsync.sandbox.atlassian.confluence.web import (
    API,
    USERS_GROUP,
    ConfluenceError,
    body_object,
    empty,
    json,
    require_admin,
    require_user,
    runtime_of,
    state_of,
)

_FORBIDDEN = set("\\,+<>'\"")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _bad(message: str) -> ConfluenceError:
    return ConfluenceError(400, message, valid=False)


def _username_error(name: Any) -> str | None:
    # The documented rules: lower-case, no whitespace, none of \ , + < > ' ", and not "anonymous".
    if not isinstance(name, str) or not name:
        return "userName is required"
    if name != name.lower():
        return "userName must be lower case"
    if any(ch.isspace() for ch in name):
        return "userName must not contain whitespace"
    if _FORBIDDEN & set(name):
        return "userName must not contain any of these characters: \\ , + < > ' \""
    if name == "anonymous":
        return "userName must not be 'anonymous'"
    return None


def _email_error(email: Any) -> str | None:
    if not isinstance(email, str) or not _EMAIL.match(email):
        return "email must be a valid email address"
    return None


def _full_name_error(full_name: Any) -> str | None:
    if not isinstance(full_name, str) or not full_name.strip():
        return "fullName is required"
    return None


def _target(request: Request) -> ConfluenceUser:
    user = state_of(request).user_by_name(request.path_params["username"])
    if user is None:
        raise no_such_user(request.path_params["username"])
    return user


async def create_user(request: Request) -> Response:
    """POST /admin/user {userName, fullName, email, password | notifyViaEmail: true} → 201 {userKey}."""
    require_admin(request)
    runtime = runtime_of(request)
    state = state_of(request)
    body = await body_object(request)
    name = body.get("userName")
    for error in (
        _username_error(name),
        _full_name_error(body.get("fullName")),
        _email_error(body.get("email")),
    ):
        if error:
            raise _bad(error)
    name = str(name)
    notify, password = body.get("notifyViaEmail") is True, body.get("password")
    if notify and password is not None:
        raise _bad("password must not be given when notifyViaEmail is true")
    if not notify and (not isinstance(password, str) or not password):
        raise _bad("password is required unless notifyViaEmail is true")
    if state.user_by_name(name) is not None:
        raise ConfluenceError(409, f"A user with username '{name}' already exists")
    seats = runtime.options.licensed_users
    if seats is not None and state.enabled_count() >= seats:
        raise ConfluenceError(
            402,
            f"Cannot create user '{name}': your Confluence licence allows {seats} users and all are in use",
        )
    user = state.add_user(name, body["fullName"], body["email"], runtime.clock.now(), password=password)
    default = state.group(USERS_GROUP)
    if default is not None:
        # New users join the default group, as users created in the admin screens do (whether the REST
        # endpoint does so too is not documented).
        state.add_member(default, user)
    return json({"userKey": user.key}, status=201)


async def update_user(request: Request) -> Response:
    """PUT /admin/user/{username} {email?, fullName?} → 204; fields left out stay as they are."""
    require_admin(request)
    user = _target(request)
    body = await body_object(request)
    if "email" in body and (error := _email_error(body["email"])):
        raise _bad(error)
    if "fullName" in body and (error := _full_name_error(body["fullName"])):
        raise _bad(error)
    if "email" in body:
        user.email = body["email"]
    if "fullName" in body:
        user.display_name = body["fullName"]
    return empty(204)


async def disable(request: Request) -> Response:
    """PUT /admin/user/{username}/disable → 204, also when already disabled."""
    require_admin(request)
    _target(request).active = False
    return empty(204)


async def enable(request: Request) -> Response:
    """PUT /admin/user/{username}/enable → 204, also when already enabled. Atlassian documents 402 only
    for creation, so enabling is not refused when the licence is full."""
    require_admin(request)
    _target(request).active = True
    return empty(204)


async def delete_user(request: Request) -> Response:
    """DELETE /admin/user/{username} → 202 long-task submission; the user goes when the task ends."""
    admin = require_admin(request)
    runtime = runtime_of(request)
    user = _target(request)
    fails_with = None
    if user is admin:
        fails_with = "You cannot remove the user you are logged in as."
    elif user.name in runtime.options.failing_deletes:
        fails_with = f"User {user.name} could not be removed: the user directory refused the change."
    task = state_of(request).submit_delete(
        user, runtime.clock.now(), runtime.options.delete_task_seconds, fails_with
    )
    return json({"id": task.id, "links": {"status": f"{API}/longtask/{task.id}"}}, status=202)


async def set_password(request: Request) -> Response:
    """POST /admin/user/{username}/password {password} → 204."""
    require_admin(request)
    user = _target(request)
    password = (await body_object(request)).get("password")
    if not isinstance(password, str) or not password:
        raise _bad("password is required")
    user.password = password
    return empty(204)


async def long_task(request: Request) -> Response:
    """GET /longtask/{id} → the task's status; 404 for an unknown id."""
    require_user(request)
    runtime = runtime_of(request)
    task = state_of(request).tasks.get(request.path_params["task_id"])
    if task is None:
        raise ConfluenceError(404, f"No long running task found with id: {request.path_params['task_id']}")
    end = min(runtime.clock.now(), task.due)
    return json(task_status(task, int((end - task.submitted).total_seconds() * 1000)))


def routes() -> list[tuple[Route, Since]]:
    """The admin user routes and the long-task route, each with the release that introduced it."""
    user = f"{API}/admin/user/{{username}}"
    return [
        (Route(f"{API}/admin/user", create_user, methods=["POST"]), USER_ADMIN),
        (Route(user, update_user, methods=["PUT"]), USER_ADMIN),
        (Route(user, delete_user, methods=["DELETE"]), USER_LIFECYCLE),
        (Route(f"{user}/disable", disable, methods=["PUT"]), USER_LIFECYCLE),
        (Route(f"{user}/enable", enable, methods=["PUT"]), USER_LIFECYCLE),
        (Route(f"{user}/password", set_password, methods=["POST"]), USER_ADMIN),
        (Route(f"{API}/longtask/{{task_id}}", long_task, methods=["GET"]), ALWAYS),
    ]
