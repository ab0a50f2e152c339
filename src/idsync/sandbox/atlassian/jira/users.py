"""User routes: GET/POST/PUT/DELETE /user. Search, list and properties are in
user_search.py and user_properties.py."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import user_bean
from idsync.sandbox.atlassian.jira.licences import grant, roles_for_new_user
from idsync.sandbox.atlassian.jira.state import JiraState, JiraUser
from idsync.sandbox.atlassian.jira.web import (
    JiraError,
    base_url,
    body_object,
    empty,
    json,
    require_admin,
    require_user,
    runtime_of,
    state_of,
)

# Jira's documented 404 text for an unknown user.
NO_SUCH_USER = "Specified user does not exist or you do not have required permissions"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_MAX_FIELD = 255


def find_user(request: Request, key_param: str = "key") -> JiraUser:
    """The user named by `?username=` or `?<key_param>=` (`key` on /user, `userKey` on
    /user/properties): 400 when neither is given, 404 when unknown."""
    state = state_of(request)
    params = request.query_params
    username, key = params.get("username"), params.get(key_param)
    if username:
        user = state.user_by_name(username)
    elif key:
        user = state.users.get(key)
    else:
        raise JiraError(400, f"Either the 'username' or the '{key_param}' query parameter is required.")
    if user is None:
        raise JiraError(404, NO_SUCH_USER)
    return user


def _username_errors(state: JiraState, name: Any, current: JiraUser | None = None) -> str | None:
    # Field name "username" and the duplicate text are Jira's documented ones; the other texts follow
    # Jira's validations (empty, >255 characters, '<' '>' '&') with wording unverified.
    if not isinstance(name, str) or not name.strip():
        return "You must specify a username."
    if len(name) > _MAX_FIELD:
        return "The username must not exceed 255 characters in length."
    if any(ch in name for ch in "<>&"):
        return "The username must not contain '<', '>' or '&'."
    other = state.user_by_name(name)
    if other is not None and other is not current:
        return "A user with that username already exists."
    return None


def _email_error(email: Any) -> str | None:
    if not isinstance(email, str) or not email:
        return "You must specify an email address."
    if len(email) > _MAX_FIELD or not _EMAIL.match(email):
        return "You must specify a valid email address."
    return None


def _display_name_error(display_name: Any) -> str | None:
    if not isinstance(display_name, str) or not display_name.strip():
        return "You must specify a full name."
    if len(display_name) > _MAX_FIELD:
        return "The full name must not exceed 255 characters in length."
    return None


def parse_active(value: Any) -> bool:
    """`active` as a JSON boolean or as the strings "true"/"false": Jira documents the boolean, and
    atlassian-python-api sends the string (that it works is only implied by that library), so both are
    accepted."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise JiraError(400, errors={"active": f"Invalid value {value!r} for 'active': expected true or false."})


async def get_user(request: Request) -> Response:
    """GET /user?username=|key=[&expand=groups,applicationRoles]."""
    require_user(request)
    user = find_user(request)
    expand = request.query_params.get("expand", "")
    return json(user_bean(base_url(request), user, state_of(request), expand))


async def create_user(request: Request) -> Response:
    """POST /user: 201 UserBean, or 400 with per-field `errors`."""
    require_admin(request)
    state = state_of(request)
    body = await body_object(request)
    errors: dict[str, str] = {}
    for field, error in (
        ("username", _username_errors(state, body.get("name"))),
        ("email", _email_error(body.get("emailAddress"))),
        ("displayName", _display_name_error(body.get("displayName"))),
    ):
        if error:
            errors[field] = error
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        errors["password"] = "The password must be a string."
    if errors:
        raise JiraError(400, errors=errors)
    roles = roles_for_new_user(request, body.get("applicationKeys"))  # refused before anything is created
    user = state.add_user(
        body["name"],
        body["displayName"],
        body["emailAddress"],
        runtime_of(request).clock.now(),
        password=password or None,
    )
    # New users join the default groups of the applications they get (see licences.py).
    grant(state, user, roles)
    return json(user_bean(base_url(request), user, state), status=201)


def _lead_errors(state: JiraState, user: JiraUser) -> dict[str, str]:
    # Jira's DefaultUserService.validateUpdateUser puts both refusals under the field "active"
    # (errors.addError("active", ...) with i18n keys
    # admin.errors.users.cannot.deactivate.due.to.component.lead and ...due.to.project.lead; the
    # project one is added second and replaces the component one). So the
    # text lands in `errors.active`, not in `errorMessages`. The English texts below are unverified.
    errors: dict[str, str] = {}
    components = state.components_led_by(user.key)
    if components:
        keys = ", ".join(sorted({c.project_key for c in components}))
        errors["active"] = (
            f"Cannot deactivate user because they are currently a component lead "
            f"in the following projects: {keys}"
        )
    projects = state.projects_led_by(user.key)
    if projects:
        keys = ", ".join(sorted(p.key for p in projects))
        errors["active"] = (
            f"Cannot deactivate user because they are currently the project lead "
            f"of the following projects: {keys}"
        )
    return errors


async def update_user(request: Request) -> Response:
    """PUT /user?username=|key=: fields left out are not changed; `name` renames."""
    caller = require_admin(request)
    state = state_of(request)
    user = find_user(request)
    body = await body_object(request)
    errors: dict[str, str] = {}
    messages: list[str] = []
    new_name = body.get("name")
    renaming = new_name is not None and (not isinstance(new_name, str) or new_name.lower() != user.name)
    if renaming:
        error = _username_errors(state, new_name, current=user)
        if error:
            errors["username"] = error
    if "emailAddress" in body and (error := _email_error(body["emailAddress"])):
        errors["email"] = error
    if "displayName" in body and (error := _display_name_error(body["displayName"])):
        errors["displayName"] = error
    active = parse_active(body["active"]) if body.get("active") is not None else None
    if active is False and user.active:
        errors.update(_lead_errors(state, user))
        if caller is user:
            messages.append("You cannot deactivate the currently logged in user.")  # text unverified
    if errors or messages:
        raise JiraError(400, *messages, errors=errors)
    if renaming:
        state.rename_user(user, str(new_name))
    if "emailAddress" in body:
        user.email = body["emailAddress"]
    if "displayName" in body:
        user.display_name = body["displayName"]
        state.users_changed()
    if isinstance(body.get("password"), str) and body["password"]:
        user.password = body["password"]
    if active is not None:
        state.set_active(user, active)
    return json(user_bean(base_url(request), user, state))


async def delete_user(request: Request) -> Response:
    """DELETE /user?username=|key=: 204; refused for the caller and for project leads."""
    caller = require_admin(request)
    state = state_of(request)
    user = find_user(request)
    if user is caller:
        raise JiraError(400, "You cannot delete the currently logged in user.")  # text unverified
    projects = state.projects_led_by(user.key)
    if projects:
        # Jira refuses to remove a project lead (Atlassian's answer "Why is user deactivation restricted
        # for component and project leads in JIRA?", 2015); component leads are just cleared. Text unverified.
        keys = ", ".join(sorted(p.key for p in projects))
        raise JiraError(400, f"Cannot delete user '{user.name}' because they are the project lead of: {keys}")
    state.delete_user(user)
    return empty(204)


async def set_password(request: Request) -> Response:
    """PUT /user/password?username=|key= {"password"}: 204 (the status code is not verified)."""
    require_admin(request)
    user = find_user(request)
    body = await body_object(request)
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise JiraError(400, errors={"password": "You must specify a password."})  # text unverified
    user.password = password
    return empty(204)


def routes() -> list[Route]:
    """The /user routes under /rest/api/2."""
    return [
        Route("/rest/api/2/user", get_user, methods=["GET"]),
        Route("/rest/api/2/user", create_user, methods=["POST"]),
        Route("/rest/api/2/user", update_user, methods=["PUT"]),
        Route("/rest/api/2/user", delete_user, methods=["DELETE"]),
        Route("/rest/api/2/user/password", set_password, methods=["PUT"]),
    ]
