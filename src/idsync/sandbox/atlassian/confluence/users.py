"""Reading users: `/user/current`, `/user?username=|key=`, `/user/memberof` and (8.4+) `/user/list`,
which pages through every user, disabled ones included."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.confluence.beans import anonymous, group_bean, person
from idsync.sandbox.atlassian.confluence.state import ConfluenceUser
from idsync.sandbox.atlassian.confluence.versions import ALWAYS, USER_ADMIN, Since
from idsync.sandbox.atlassian.confluence.web import (
    API,
    ConfluenceError,
    base_url,
    caller,
    expansions,
    json,
    page,
    require_user,
    state_of,
)


def no_such_user(name: str) -> ConfluenceError:
    """The 404 for an unknown user (text unverified)."""
    return ConfluenceError(404, f"No user found with username or key: {name}")


def find_user(request: Request) -> ConfluenceUser:
    """The user named by `?username=` or `?key=`: 400 when neither is given, 404 when unknown."""
    state = state_of(request)
    username, key = request.query_params.get("username"), request.query_params.get("key")
    if username:
        user = state.user_by_name(username)
    elif key:
        user = state.users.get(key)
    else:
        raise ConfluenceError(400, "Either the username or the key query parameter is required", valid=False)
    if user is None:
        raise no_such_user(username or key or "")
    return user


async def current(request: Request) -> Response:
    """GET /user/current: the caller, or the anonymous user."""
    user = caller(request)
    base = base_url(request)
    return json(person(base, user, expansions(request)) if user is not None else anonymous(base))


async def get_user(request: Request) -> Response:
    """GET /user?username=|key=[&expand=status,details.personal] → Person."""
    require_user(request)
    return json(person(base_url(request), find_user(request), expansions(request)))


async def member_of(request: Request) -> Response:
    """GET /user/memberof?username=|key=&start=&limit= → page of the user's direct groups."""
    require_user(request)
    state = state_of(request)
    user = find_user(request)
    groups = sorted((state.groups[g] for g in user.groups), key=lambda g: g.name.lower())
    base = base_url(request)
    return page(request, groups, lambda g: group_bean(base, g))


async def list_users(request: Request) -> Response:
    """GET /user/list?start=&limit=&expand= → page of every user, disabled included (8.4+)."""
    require_user(request)
    state = state_of(request)
    base, expand = base_url(request), expansions(request)
    return page(request, state.users_by_name(), lambda u: person(base, u, expand))


def routes() -> list[tuple[Route, Since]]:
    """The user read routes, each with the release that introduced it."""
    return [
        (Route(f"{API}/user/current", current, methods=["GET"]), ALWAYS),
        (Route(f"{API}/user", get_user, methods=["GET"]), ALWAYS),
        (Route(f"{API}/user/memberof", member_of, methods=["GET"]), ALWAYS),
        (Route(f"{API}/user/list", list_users, methods=["GET"]), USER_ADMIN),
    ]
