"""User memberships, from both sides: /group/user/direct|nested (a group's users) and
/user/group/direct|nested (a user's groups).

The two POST forms answer a missing member differently, as documented: POST /group/user/direct
answers 400 when the *user* is missing and 404 when the group is; POST /user/group/direct answers 400
when the *group* is missing and 404 when the user is. Both answer 409 for an existing membership.
GET /user/group/direct for a missing user answers 200 with an empty list (Crowd's CWD-4433 deviation)
unless the option `empty_groups_for_missing_user` is off.

Only these documented forms exist here. atlassian-python-api posts to /user/group/direct with
`?groupname=` and the *user* in the body (parameter and body swapped); real Crowd does not document
that, so this emulator answers it like Crowd would any request without `username`: 400.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.crowd.entities import group_entity, group_list, user_entity, user_list
from idsync.sandbox.atlassian.crowd.groups import sorted_groups
from idsync.sandbox.atlassian.crowd.state import CrowdGroup, CrowdUser
from idsync.sandbox.atlassian.crowd.web import (
    API,
    CrowdError,
    base_url,
    body_object,
    empty,
    expands,
    find_group,
    find_user,
    page,
    require,
    respond,
    runtime_of,
    state_of,
)


def _not_member(user: str, group: str) -> CrowdError:
    return CrowdError(404, "MEMBERSHIP_NOT_FOUND", f"User <{user}> is not a direct member of group <{group}>")


def _already(user: CrowdUser, group: CrowdGroup) -> CrowdError:
    return CrowdError(
        409,
        "MEMBERSHIP_ALREADY_EXISTS",
        f"User <{user.name}> is already a direct member of group <{group.name}>",
    )


async def group_users(request: Request) -> Response:
    """GET /group/user/direct?groupname=[&username=][&start-index&max-results&expand=user]."""
    state = state_of(request)
    group = find_group(request)
    base = base_url(request)
    wanted = request.query_params.get("username")
    if wanted is not None:
        user = state.user_by_name(wanted)
        if user is None or user.key not in group.members:
            raise _not_member(wanted, group.name)
        return respond(request, user_entity(base, user), "user")
    keys = page(request, group.sorted_members(state))
    return respond(request, user_list(base, [state.users[k] for k in keys], expands(request)), "users")


async def add_group_user(request: Request) -> Response:
    """POST /group/user/direct?groupname= {"name": user}: 201; 400 user missing; 404 group missing."""
    require(request, "UPDATE_GROUP")
    state = state_of(request)
    group = find_group(request)
    name = (await body_object(request)).get("name")
    user = state.user_by_name(name) if isinstance(name, str) and name else None
    if user is None:
        raise CrowdError(400, "USER_NOT_FOUND", f"User <{name}> does not exist")
    if user.key in group.members:
        raise _already(user, group)
    state.add_member(group, user)
    return empty(201)


async def remove_group_user(request: Request) -> Response:
    """DELETE /group/user/direct?groupname=&username=: 204; 404 user, group or membership missing."""
    require(request, "UPDATE_GROUP")
    state = state_of(request)
    group = find_group(request)
    user = find_user(request)
    if user.key not in group.members:
        raise _not_member(user.name, group.name)
    state.remove_member(group, user)
    return empty(204)


async def nested_group_users(request: Request) -> Response:
    """GET /group/user/nested?groupname=: users of the group and of every group nested in it."""
    state = state_of(request)
    group = find_group(request)
    keys: set[str] = set()
    for name in state.nested_groups({group.name.lower()}, upward=False):
        keys |= state.groups[name].members
    users = sorted((state.users[k] for k in keys), key=lambda u: u.name.lower())
    return respond(request, user_list(base_url(request), page(request, users), expands(request)), "users")


async def user_groups(request: Request) -> Response:
    """GET /user/group/direct?username=[&groupname=]: a GroupList, or a membership check."""
    state = state_of(request)
    base = base_url(request)
    name = request.query_params.get("username") or ""
    user = state.user_by_name(name)
    if user is None:
        if runtime_of(request).options.empty_groups_for_missing_user and name:
            return respond(request, group_list(base, [], expands(request)), "groups")
        user = find_user(request)  # raises the 404 (or the 400 without a username)
    wanted = request.query_params.get("groupname")
    if wanted is not None:
        group = state.group(wanted)
        if group is None or group.name.lower() not in user.groups:
            raise _not_member(user.name, wanted)
        return respond(request, group_entity(base, group), "group")
    groups = page(request, sorted_groups(state, user.groups))
    return respond(request, group_list(base, groups, expands(request)), "groups")


async def add_user_group(request: Request) -> Response:
    """POST /user/group/direct?username= {"name": group}: 201; 400 group missing; 404 user missing."""
    require(request, "UPDATE_GROUP")
    state = state_of(request)
    user = find_user(request)
    name = (await body_object(request)).get("name")
    group = state.group(name) if isinstance(name, str) and name else None
    if group is None:
        raise CrowdError(400, "GROUP_NOT_FOUND", f"Group <{name}> does not exist")
    if user.key in group.members:
        raise _already(user, group)
    state.add_member(group, user)
    return empty(201)


async def remove_user_group(request: Request) -> Response:
    """DELETE /user/group/direct?username=&groupname=: 204; 404 user, group or membership missing."""
    require(request, "UPDATE_GROUP")
    state = state_of(request)
    user = find_user(request)
    group = find_group(request)
    if user.key not in group.members:
        raise _not_member(user.name, group.name)
    state.remove_member(group, user)
    return empty(204)


async def nested_user_groups(request: Request) -> Response:
    """GET /user/group/nested?username=: the user's groups and all their ancestors."""
    state = state_of(request)
    user = find_user(request)
    names = state.nested_groups(set(user.groups), upward=True)
    groups = page(request, sorted_groups(state, names))
    return respond(request, group_list(base_url(request), groups, expands(request)), "groups")


def routes() -> list[Route]:
    """The membership routes."""
    return [
        Route(f"{API}/group/user/direct", group_users, methods=["GET"]),
        Route(f"{API}/group/user/direct", add_group_user, methods=["POST"]),
        Route(f"{API}/group/user/direct", remove_group_user, methods=["DELETE"]),
        Route(f"{API}/group/user/nested", nested_group_users, methods=["GET"]),
        Route(f"{API}/user/group/direct", user_groups, methods=["GET"]),
        Route(f"{API}/user/group/direct", add_user_group, methods=["POST"]),
        Route(f"{API}/user/group/direct", remove_user_group, methods=["DELETE"]),
        Route(f"{API}/user/group/nested", nested_user_groups, methods=["GET"]),
    ]
