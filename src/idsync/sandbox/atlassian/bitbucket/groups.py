"""Groups and memberships: /admin/groups (list, create, delete), the member listings of a group and of
a user, and the membership writes (add-groups / add-users, which take several at once, the deprecated
one-at-a-time forms, and remove-group / remove-user). Memberships are direct only: no nested groups.

Adding a membership that exists, or removing one that does not, answers 200 and changes nothing: the
documentation gives no error for either (unverified).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.bitbucket.beans import group_bean, user_bean
from idsync.sandbox.atlassian.bitbucket.licence import ADD_OVER_LIMIT, check_group_rank, check_seats
from idsync.sandbox.atlassian.bitbucket.lookup import group_named, matches, user_named
from idsync.sandbox.atlassian.bitbucket.state import BitbucketGroup, BitbucketUser
from idsync.sandbox.atlassian.bitbucket.web import (
    API,
    INTEGRITY,
    VALIDATION,
    BitbucketError,
    base_url,
    body_object,
    empty,
    json,
    page,
    require_admin,
    require_permission,
    required_param,
    state_of,
)


def _names(body: dict[str, Any], key: str) -> list[str]:
    values = body.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise BitbucketError(
            400, f"'{key}' must be a non-empty list of names.", context=key, exception=VALIDATION
        )
    return values


def _join(
    request: Request, caller: BitbucketUser, users: list[BitbucketUser], groups: list[BitbucketGroup]
) -> None:
    """Every user into every group, or nothing: rank and seats are checked before any change."""
    check_group_rank(request, caller, groups)
    check_seats(request, users, groups, ADD_OVER_LIMIT)
    state = state_of(request)
    for group in groups:
        for user in users:
            state.add_member(group, user)


def _leave(request: Request, caller: BitbucketUser, user: BitbucketUser, group: BitbucketGroup) -> None:
    check_group_rank(request, caller, [group])
    state_of(request).remove_member(group, user)


async def list_groups(request: Request) -> Response:
    """GET /admin/groups?filter=: groups whose name contains the filter, by name."""
    require_admin(request)
    text = request.query_params.get("filter", "")
    found = sorted(
        (g for g in state_of(request).groups.values() if matches(text, g.name)), key=lambda g: g.name.lower()
    )
    return page(request, found, group_bean)


async def group_names(request: Request) -> Response:
    """GET /groups?filter=: the same search for any licensed user, as plain strings."""
    require_permission(request, "LICENSED_USER")
    text = request.query_params.get("filter", "")
    found = sorted(
        (g.name for g in state_of(request).groups.values() if matches(text, g.name)), key=str.lower
    )
    return page(request, found, str)


async def create_group(request: Request) -> Response:
    """POST /admin/groups?name=: 200 RestDetailedGroup; 409 when it exists in any case."""
    require_admin(request)
    state = state_of(request)
    name = required_param(request, "name")
    if len(name) > 255:
        raise BitbucketError(400, "The group name must be 255 characters or fewer.", context="name")
    if state.group(name) is not None:
        raise BitbucketError(
            409, "A group with this name already exists.", context="name", exception=INTEGRITY
        )
    return json(group_bean(state.add_group(name)))


async def delete_group(request: Request) -> Response:
    """DELETE /admin/groups?name=: 200 with the deleted group (its permission goes with it)."""
    caller = require_admin(request)
    state = state_of(request)
    group = group_named(request, request.query_params.get("name"))
    check_group_rank(request, caller, [group])
    if caller.id in group.members and state.group_permissions.get(group.name.lower()):
        before = state.permission_of(caller)
        held = state.group_permissions.pop(group.name.lower())
        after = state.permission_of(caller)
        state.group_permissions[group.name.lower()] = held
        if before != after:
            raise BitbucketError(
                409, "Deleting this group would lower your own permissions.", exception=INTEGRITY
            )
    bean = group_bean(group)
    state.delete_group(group)
    return json(bean)


async def group_members(request: Request) -> Response:
    """GET /admin/groups/more-members?context=&filter=: the group's members (RestDetailedUser), by
    username. An unknown group is a 404 NoSuchGroupException (the documentation lists only 401;
    unverified)."""
    require_admin(request)
    state = state_of(request)
    group = group_named(request, required_param(request, "context"), "context")
    text = request.query_params.get("filter", "")
    members = [state.users[uid] for uid in group.sorted_members(state)]
    if text:
        members = [u for u in members if matches(text, u.name, u.display_name, u.email)]
    base = base_url(request)
    return page(request, members, lambda u: user_bean(base, u, state))


async def group_non_members(request: Request) -> Response:
    """GET /admin/groups/more-non-members?context=&filter=: users not in the group."""
    require_admin(request)
    state = state_of(request)
    group = group_named(request, required_param(request, "context"), "context")
    text = request.query_params.get("filter", "")
    users = [
        u
        for u in state.user_order()
        if u.id not in group.members and matches(text, u.name, u.display_name, u.email)
    ]
    base = base_url(request)
    return page(request, users, lambda u: user_bean(base, u, state))


async def user_groups(request: Request) -> Response:
    """GET /admin/users/more-members?context=&filter=: the groups the user is a direct member of."""
    require_admin(request)
    state = state_of(request)
    user = user_named(request, required_param(request, "context"), "context")
    text = request.query_params.get("filter", "")
    found = sorted(
        (state.groups[g] for g in user.groups if matches(text, state.groups[g].name)),
        key=lambda g: g.name.lower(),
    )
    return page(request, found, group_bean)


async def user_non_groups(request: Request) -> Response:
    """GET /admin/users/more-non-members?context=&filter=: the groups the user is not in."""
    require_admin(request)
    state = state_of(request)
    user = user_named(request, required_param(request, "context"), "context")
    text = request.query_params.get("filter", "")
    found = sorted(
        (g for lower, g in state.groups.items() if lower not in user.groups and matches(text, g.name)),
        key=lambda g: g.name.lower(),
    )
    return page(request, found, group_bean)


async def add_groups(request: Request) -> Response:
    """POST /admin/users/add-groups {"user", "groups": [...]}: 200 empty; 404 user or any group missing."""
    caller = require_admin(request)
    body = await body_object(request)
    user = user_named(request, body.get("user"), "user")
    groups = [group_named(request, name, "groups") for name in _names(body, "groups")]
    _join(request, caller, [user], groups)
    return empty(200)


async def add_users(request: Request) -> Response:
    """POST /admin/groups/add-users {"group", "users": [...]}: 200 empty; 404 group or any user missing."""
    caller = require_admin(request)
    body = await body_object(request)
    group = group_named(request, body.get("group"), "group")
    users = [user_named(request, name, "users") for name in _names(body, "users")]
    _join(request, caller, users, [group])
    return empty(200)


async def add_group_deprecated(request: Request) -> Response:
    """POST /admin/users/add-group {"context": user, "itemName": group} (deprecated since 2.10)."""
    caller = require_admin(request)
    body = await body_object(request)
    user = user_named(request, body.get("context"), "context")
    _join(request, caller, [user], [group_named(request, body.get("itemName"), "itemName")])
    return empty(200)


async def add_user_deprecated(request: Request) -> Response:
    """POST /admin/groups/add-user {"context": group, "itemName": user} (deprecated since 2.10)."""
    caller = require_admin(request)
    body = await body_object(request)
    group = group_named(request, body.get("context"), "context")
    _join(request, caller, [user_named(request, body.get("itemName"), "itemName")], [group])
    return empty(200)


async def remove_group(request: Request) -> Response:
    """POST /admin/users/remove-group {"context": user, "itemName": group}: 200 empty."""
    caller = require_admin(request)
    body = await body_object(request)
    user = user_named(request, body.get("context"), "context")
    _leave(request, caller, user, group_named(request, body.get("itemName"), "itemName"))
    return empty(200)


async def remove_user(request: Request) -> Response:
    """POST /admin/groups/remove-user {"context": group, "itemName": user} (deprecated form): 200."""
    caller = require_admin(request)
    body = await body_object(request)
    group = group_named(request, body.get("context"), "context")
    _leave(request, caller, user_named(request, body.get("itemName"), "itemName"), group)
    return empty(200)


def routes() -> list[Route]:
    """The group and membership routes under /rest/api/1.0."""
    return [
        Route(f"{API}/admin/groups", list_groups, methods=["GET"]),
        Route(f"{API}/admin/groups", create_group, methods=["POST"]),
        Route(f"{API}/admin/groups", delete_group, methods=["DELETE"]),
        Route(f"{API}/admin/groups/more-members", group_members, methods=["GET"]),
        Route(f"{API}/admin/groups/more-non-members", group_non_members, methods=["GET"]),
        Route(f"{API}/admin/groups/add-users", add_users, methods=["POST"]),
        Route(f"{API}/admin/groups/add-user", add_user_deprecated, methods=["POST"]),
        Route(f"{API}/admin/groups/remove-user", remove_user, methods=["POST"]),
        Route(f"{API}/admin/users/more-members", user_groups, methods=["GET"]),
        Route(f"{API}/admin/users/more-non-members", user_non_groups, methods=["GET"]),
        Route(f"{API}/admin/users/add-groups", add_groups, methods=["POST"]),
        Route(f"{API}/admin/users/add-group", add_group_deprecated, methods=["POST"]),
        Route(f"{API}/admin/users/remove-group", remove_group, methods=["POST"]),
        Route(f"{API}/groups", group_names, methods=["GET"]),
    ]
