"""/api/v1/groups: list (filter / search / q / expand=stats), get, create, replace, delete, members
(paged, default 1000) and member add/remove.

Type rules: only OKTA_GROUPs are created, renamed or have members changed through the API; APP_GROUP
profile and membership are read-only and BUILT_IN (Everyone) is not modifiable. Okta's docs give no
error code for those refusals: the emulator answers 403 E0000006 (no permission to do that)."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.dialects import GROUP_FILTER, GROUP_SEARCH, group_value
from idsync.sandbox.okta.errors import OktaError, bad_query, forbidden, validation
from idsync.sandbox.okta.model import Group
from idsync.sandbox.okta.profiles import group_profile
from idsync.sandbox.okta.query import QueryError, compile_query
from idsync.sandbox.okta.render import group_json, user_json
from idsync.sandbox.okta.scope import check_group, check_user, sees_group, sees_user
from idsync.sandbox.okta.state import OktaState
from idsync.sandbox.okta.users import state_of

MEMBERS_DEFAULT_LIMIT = 1000


def _render(state: OktaState, group: Group, root: str, stats: bool) -> dict[str, object]:
    if not stats:
        return group_json(group, root)
    users = len(state.member_ids(group.id))
    apps = sum(1 for assigned in state.app_groups.values() if group.id in assigned)
    return group_json(group, root, users, apps)


def _expand_stats(request: Request) -> bool:
    expand = request.query_params.get("expand", "")
    return "stats" in expand.split(",")


async def list_groups(request: Request) -> Response:
    """GET /api/v1/groups."""
    state, token = state_of(request), web.token(request)
    options = request.app.state.okta_options
    params = request.query_params
    stats = _expand_stats(request)
    root = web.base(request)
    # The Everyone group is not returned to group-admin callers; scoped tokens see their groups.
    visible: Callable[[Group], bool] = lambda group: sees_group(token, group)  # noqa: E731
    q = params.get("q")
    if q is not None:
        # `q`: startsWith on profile.name, no paging ("paging and searching are mutually exclusive").
        count = web.limit(request, options.groups_q_default_limit, options.groups_q_max_limit)
        needle = q.casefold()
        found = [
            g
            for gid in state.group_ids
            if visible(g := state.groups[gid])
            and str(g.profile.get("name", "")).casefold().startswith(needle)
        ][:count]
        return web.paged_response(request, [_render(state, g, root, stats) for g in found], None, count)
    count = web.limit(request, options.groups_default_limit, options.groups_max_limit)
    match: Callable[[Group], bool]
    try:
        if params.get("search") is not None:
            match = compile_query(params["search"], GROUP_SEARCH, group_value)
        elif params.get("filter") is not None:
            match = compile_query(params["filter"], GROUP_FILTER, group_value)
        else:
            match = lambda group: True  # noqa: E731
    except QueryError as exc:
        raise bad_query(str(exc)) from None
    after = params.get("after")
    start = bisect.bisect_right(state.group_ids, after) if after else 0
    ids = state.group_ids
    selected = (g for i in range(start, len(ids)) if visible(g := state.groups[ids[i]]) and match(g))
    page, more = web.take(selected, count)
    next_cursor = page[-1].id if more and page else None
    return web.paged_response(request, [_render(state, g, root, stats) for g in page], next_cursor, count)


async def get_group(request: Request) -> Response:
    """GET /api/v1/groups/{id}."""
    state = state_of(request)
    group = check_group(web.token(request), state.find_group(request.path_params["group"]))
    return web.json_response(_render(state, group, web.base(request), _expand_stats(request)))


async def create_group(request: Request) -> Response:
    """POST /api/v1/groups: creates an OKTA_GROUP."""
    web.require_admin(request)
    body = await web.body_json(request)
    group = state_of(request).create_group(group_profile(body.get("profile")))
    return web.json_response(group_json(group, web.base(request)))


def _writable(group: Group, what: str) -> Group:
    if group.type != "OKTA_GROUP":
        raise OktaError(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
            [f"{what}: a {group.type} group cannot be changed through the API; only OKTA_GROUP can"],
        )
    return group


async def replace_group(request: Request) -> Response:
    """PUT /api/v1/groups/{id}: full profile replace, OKTA_GROUP only."""
    web.require_admin(request)
    state = state_of(request)
    group = _writable(state.find_group(request.path_params["group"]), "profile")
    body = await web.body_json(request)
    state.replace_group(group, group_profile(body.get("profile")))
    return web.json_response(group_json(group, web.base(request)))


async def delete_group(request: Request) -> Response:
    """DELETE /api/v1/groups/{id}: OKTA_GROUP or APP_GROUP; never BUILT_IN."""
    web.require_admin(request)
    state = state_of(request)
    group = state.find_group(request.path_params["group"])
    if group.type == "BUILT_IN":
        raise forbidden()
    state.delete_group(group)
    return web.empty()


async def list_members(request: Request) -> Response:
    """GET /api/v1/groups/{id}/users?after=&limit= (default 1000)."""
    state, token = state_of(request), web.token(request)
    group = check_group(token, state.find_group(request.path_params["group"]))
    count = web.limit(request, MEMBERS_DEFAULT_LIMIT, MEMBERS_DEFAULT_LIMIT)
    ids = state.member_ids(group.id)
    after = request.query_params.get("after")
    start = bisect.bisect_right(ids, after) if after else 0
    page, more = web.take((state.users[ids[i]] for i in range(start, len(ids))), count)
    root = web.base(request)
    next_cursor = page[-1].id if more and page else None
    return web.paged_response(request, [user_json(u, root) for u in page], next_cursor, count)


async def add_member(request: Request) -> Response:
    """PUT /api/v1/groups/{gid}/users/{uid} → 204 (OKTA_GROUP only)."""
    state, token = state_of(request), web.token(request)
    group = _writable(check_group(token, state.find_group(request.path_params["group"])), "users")
    user = state.find_user(request.path_params["user"])
    if user.id != request.path_params["user"]:
        raise validation("userId", "use the user's id, not the login")
    state.add_member(group.id, user.id)
    return web.empty()


async def remove_member(request: Request) -> Response:
    """DELETE /api/v1/groups/{gid}/users/{uid} → 204 (OKTA_GROUP only)."""
    state, token = state_of(request), web.token(request)
    group = _writable(check_group(token, state.find_group(request.path_params["group"])), "users")
    user = state.find_user(request.path_params["user"])
    if not sees_user(state, token, user.id):
        check_user(state, token, user)
    state.remove_member(group.id, user.id)
    return web.empty()


def routes() -> list[Route]:
    """The group routes."""
    return [
        Route("/api/v1/groups", list_groups, methods=["GET"]),
        Route("/api/v1/groups", create_group, methods=["POST"]),
        Route("/api/v1/groups/{group}", get_group, methods=["GET"]),
        Route("/api/v1/groups/{group}", replace_group, methods=["PUT"]),
        Route("/api/v1/groups/{group}", delete_group, methods=["DELETE"]),
        Route("/api/v1/groups/{group}/users", list_members, methods=["GET"]),
        Route("/api/v1/groups/{group}/users/{user}", add_member, methods=["PUT"]),
        Route("/api/v1/groups/{group}/users/{user}", remove_member, methods=["DELETE"]),
    ]
