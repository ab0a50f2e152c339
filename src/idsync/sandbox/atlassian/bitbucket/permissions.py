"""Global permissions of groups and users (/admin/permissions/groups, /admin/permissions/users) and the
licence (/admin/license): what decides who takes a seat, since Bitbucket has no deactivate.

The permission routes follow Bitbucket's documented shapes: a page of `{"group": RestDetailedGroup,
"permission": ...}` or `{"user": RestApplicationUser, "permission": ...}`; PUT `?permission=&name=`
(name repeatable) and DELETE `?name=` answer 204. A group or user holds one global permission; a new
grant replaces the old. Nobody may grant more than they hold. Texts of refusals are unverified.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.bitbucket.beans import group_bean, plain_user_bean
from idsync.sandbox.atlassian.bitbucket.licence import GRANT_OVER_LIMIT, check_new_seats
from idsync.sandbox.atlassian.bitbucket.lookup import group_named, matches, user_named
from idsync.sandbox.atlassian.bitbucket.state import PERMISSIONS, RANK, BitbucketState, BitbucketUser
from idsync.sandbox.atlassian.bitbucket.web import (
    API,
    INTEGRITY,
    VALIDATION,
    BitbucketError,
    base_url,
    empty,
    json,
    page,
    require_admin,
    required_param,
    runtime_of,
    state_of,
)


def _permission(request: Request, caller: BitbucketUser) -> str:
    permission = required_param(request, "permission")
    if permission not in RANK:
        raise BitbucketError(
            400,
            f"'{permission}' is not a global permission; valid: {', '.join(PERMISSIONS)}.",
            context="permission",
            exception=VALIDATION,
        )
    mine = state_of(request).permission_of(caller)
    if mine is None or RANK[permission] > RANK[mine]:
        raise BitbucketError(403, f"You cannot grant {permission}: it is higher than your own permission.")
    return permission


def _names(request: Request) -> list[str]:
    names = request.query_params.getlist("name")
    if not names or not all(names):
        raise BitbucketError(400, "At least one 'name' is required.", context="name", exception=VALIDATION)
    return names


def _unless_lowers_own(
    state: BitbucketState, caller: BitbucketUser, change: Callable[[], object], undo: Callable[[], object]
) -> None:
    """Apply `change`, but refuse (409) and undo it when it lowers the caller's own permission."""
    before = RANK.get(state.permission_of(caller) or "", 0)
    change()
    if RANK.get(state.permission_of(caller) or "", 0) < before:
        undo()
        raise BitbucketError(409, "This change would lower your own permissions.", exception=INTEGRITY)


async def group_permissions(request: Request) -> Response:
    """GET /admin/permissions/groups?filter=: groups holding a global permission, by name."""
    require_admin(request)
    state = state_of(request)
    text = request.query_params.get("filter", "")
    held = sorted(
        (state.groups[g] for g in state.group_permissions if matches(text, state.groups[g].name)),
        key=lambda g: g.name.lower(),
    )
    return page(
        request,
        held,
        lambda g: {"group": group_bean(g), "permission": state.group_permissions[g.name.lower()]},
    )


async def groups_without(request: Request) -> Response:
    """GET /admin/permissions/groups/none?filter=: groups holding no global permission."""
    require_admin(request)
    state = state_of(request)
    text = request.query_params.get("filter", "")
    found = sorted(
        (
            g
            for lower, g in state.groups.items()
            if lower not in state.group_permissions and matches(text, g.name)
        ),
        key=lambda g: g.name.lower(),
    )
    return page(request, found, group_bean)


async def grant_groups(request: Request) -> Response:
    """PUT /admin/permissions/groups?permission=&name=...: 204."""
    caller = require_admin(request)
    state = state_of(request)
    permission = _permission(request, caller)
    groups = [group_named(request, name) for name in _names(request)]
    unlicensed = {
        uid
        for g in groups
        for uid in g.members
        if state.users[uid].active and not state.is_licensed(state.users[uid])
    }
    check_new_seats(request, len(unlicensed), GRANT_OVER_LIMIT)
    previous = {g.name.lower(): state.group_permissions.get(g.name.lower()) for g in groups}

    def change() -> None:
        state.group_permissions.update({g.name.lower(): permission for g in groups})

    def undo() -> None:
        for lower, old in previous.items():
            if old is None:
                state.group_permissions.pop(lower, None)
            else:
                state.group_permissions[lower] = old

    _unless_lowers_own(state, caller, change, undo)
    return empty(204)


async def revoke_group(request: Request) -> Response:
    """DELETE /admin/permissions/groups?name=: 204; 409 when it would lower the caller's own."""
    caller = require_admin(request)
    state = state_of(request)
    group = group_named(request, required_param(request, "name"))
    lower = group.name.lower()
    old = state.group_permissions.get(lower)
    if old is None:
        return empty(204)
    _unless_lowers_own(
        state,
        caller,
        lambda: state.group_permissions.pop(lower, None),
        lambda: state.group_permissions.__setitem__(lower, old),
    )
    return empty(204)


async def user_permissions(request: Request) -> Response:
    """GET /admin/permissions/users?filter=: users holding a direct global permission, by username."""
    require_admin(request)
    state = state_of(request)
    text = request.query_params.get("filter", "")
    held = [
        u
        for u in state.user_order()
        if u.id in state.user_permissions and matches(text, u.name, u.display_name, u.email)
    ]
    base = base_url(request)
    return page(
        request,
        held,
        lambda u: {"user": plain_user_bean(base, u), "permission": state.user_permissions[u.id]},
    )


async def users_without(request: Request) -> Response:
    """GET /admin/permissions/users/none?filter=: users holding no direct global permission."""
    require_admin(request)
    state = state_of(request)
    text = request.query_params.get("filter", "")
    found = [
        u
        for u in state.user_order()
        if u.id not in state.user_permissions and matches(text, u.name, u.display_name, u.email)
    ]
    base = base_url(request)
    return page(request, found, lambda u: plain_user_bean(base, u))


async def grant_users(request: Request) -> Response:
    """PUT /admin/permissions/users?permission=&name=...: 204."""
    caller = require_admin(request)
    state = state_of(request)
    permission = _permission(request, caller)
    users = {u.id: u for u in (user_named(request, name) for name in _names(request))}
    check_new_seats(
        request, sum(1 for u in users.values() if u.active and not state.is_licensed(u)), GRANT_OVER_LIMIT
    )
    previous = {uid: state.user_permissions.get(uid) for uid in users}

    def undo() -> None:
        for uid, old in previous.items():
            if old is None:
                state.user_permissions.pop(uid, None)
            else:
                state.user_permissions[uid] = old

    _unless_lowers_own(
        state, caller, lambda: state.user_permissions.update(dict.fromkeys(users, permission)), undo
    )
    return empty(204)


async def revoke_user(request: Request) -> Response:
    """DELETE /admin/permissions/users?name=: 204 (documented as returning nothing); 409 for one's own."""
    caller = require_admin(request)
    state = state_of(request)
    user = user_named(request, required_param(request, "name"))
    old = state.user_permissions.get(user.id)
    if old is None:
        return empty(204)
    _unless_lowers_own(
        state,
        caller,
        lambda: state.user_permissions.pop(user.id, None),
        lambda: state.user_permissions.__setitem__(user.id, old),
    )
    return empty(204)


async def licence(request: Request) -> Response:
    """GET /admin/license: RestBitbucketLicense. When unlimited, `maximumNumberOfUsers` is left out and
    `unlimitedNumberOfUsers` is true: a third-party test harness says so and Atlassian's documentation is
    silent, so this is a choice."""
    require_admin(request)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    millis = int(now.timestamp() * 1000)
    body: dict[str, Any] = {
        "creationDate": millis - 86_400_000 * 30,
        "purchaseDate": millis - 86_400_000 * 30,
        "expiryDate": int((now + timedelta(days=335)).timestamp() * 1000),
        "numberOfDaysBeforeExpiry": 335,
        "maintenanceExpiryDate": int((now + timedelta(days=335)).timestamp() * 1000),
        "numberOfDaysBeforeMaintenanceExpiry": 335,
        "unlimitedNumberOfUsers": runtime.options.licensed_users is None,
        "serverId": "BSAN-DBOX-IDSY-NC00",
        "supportEntitlementNumber": "SEN-00000000",
        "status": {"currentNumberOfUsers": runtime.state.licensed_count(), "serverId": "BSAN-DBOX-IDSY-NC00"},
    }
    if runtime.options.licensed_users is not None:
        body["maximumNumberOfUsers"] = runtime.options.licensed_users
    return json(body)


def routes() -> list[Route]:
    """The permission and licence routes under /rest/api/1.0."""
    return [
        Route(f"{API}/admin/permissions/groups", group_permissions, methods=["GET"]),
        Route(f"{API}/admin/permissions/groups", grant_groups, methods=["PUT"]),
        Route(f"{API}/admin/permissions/groups", revoke_group, methods=["DELETE"]),
        Route(f"{API}/admin/permissions/groups/none", groups_without, methods=["GET"]),
        Route(f"{API}/admin/permissions/users", user_permissions, methods=["GET"]),
        Route(f"{API}/admin/permissions/users", grant_users, methods=["PUT"]),
        Route(f"{API}/admin/permissions/users", revoke_user, methods=["DELETE"]),
        Route(f"{API}/admin/permissions/users/none", users_without, methods=["GET"]),
        Route(f"{API}/admin/license", licence, methods=["GET"]),
    ]
