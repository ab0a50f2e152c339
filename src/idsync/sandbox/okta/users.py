"""/api/v1/users: list (plain / filter / search / q), get, create, partial update, replace, and a
user's groups."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.dialects import USER_FILTER, USER_SEARCH, user_value
from idsync.sandbox.okta.errors import bad_query, validation
from idsync.sandbox.okta.model import User
from idsync.sandbox.okta.profiles import password_given, user_profile
from idsync.sandbox.okta.query import QueryError, compile_query
from idsync.sandbox.okta.render import group_json, user_json
from idsync.sandbox.okta.scope import check_user, sees_group, sees_user
from idsync.sandbox.okta.state import OktaState

MAX_LIMIT = 200


def state_of(request: Request) -> OktaState:
    """The emulator's state (reset swaps its contents in place, never the object)."""
    found: OktaState = request.app.state.okta
    return found


def _cursor(user_id: str) -> str:
    # Observed real cursors are "0" + the last user's id; clients must treat them as opaque.
    return "0" + user_id


def _position_sorted(ids: Any, after: str) -> int:
    return bisect.bisect_right(ids, after[1:] if after.startswith("0") else after)


async def list_users(request: Request) -> Response:
    """GET /api/v1/users."""
    state, token = state_of(request), web.token(request)
    params = request.query_params
    q = params.get("q")
    if q is not None:
        # `q`: startsWith on firstName/lastName/email, no paging, default limit 10, omits DEPROVISIONED.
        count = web.limit(request, 10, MAX_LIMIT)
        needle = q.casefold()
        found: list[User] = []
        for user_id in state.user_ids:
            user = state.users[user_id]
            if user.status == "DEPROVISIONED" or not sees_user(state, token, user_id):
                continue
            if any(
                str(user.profile.get(k) or "").casefold().startswith(needle)
                for k in ("firstName", "lastName", "email")
            ):
                found.append(user)
                if len(found) == count:
                    break
        root = web.base(request)
        return web.paged_response(request, [user_json(u, root) for u in found], None, count)
    count = web.limit(request, MAX_LIMIT, MAX_LIMIT)
    search, expression = params.get("search"), params.get("filter")
    match: Callable[[User], bool]
    try:
        if search is not None:
            match = compile_query(search, USER_SEARCH, user_value)
        elif expression is not None:
            match = compile_query(expression, USER_FILTER, user_value)
        else:
            # No query parameters: every user except DEPROVISIONED, as documented (filter and search
            # return them).
            def match(user: User) -> bool:
                return user.status != "DEPROVISIONED"
    except QueryError as exc:
        raise bad_query(str(exc)) from None
    after = params.get("after")
    sort_by = params.get("sortBy") if search is not None else None
    if sort_by:
        ordered = _sorted_ids(state, sort_by, params.get("sortOrder", "asc"))
        start = (
            ordered.index(after[1:]) + 1 if after and after[1:] in state.users and after[1:] in ordered else 0
        )
        candidates: Iterable[str] = (ordered[i] for i in range(start, len(ordered)))
    else:
        candidates = web.page_after(state.user_ids, after, _position_sorted)
    users = state.users
    scoped = token.group_ids is not None
    selected = (
        users[uid] for uid in candidates
        if match(users[uid]) and (not scoped or sees_user(state, token, uid))
    )  # fmt: skip
    page, more = web.take(selected, count)
    root = web.base(request)
    next_cursor = _cursor(page[-1].id) if more and page else None
    return web.paged_response(request, [user_json(u, root) for u in page], next_cursor, count)


def _sorted_ids(state: OktaState, sort_by: str, order: str) -> list[str]:
    if order.lower() not in ("asc", "desc"):
        raise validation("sortOrder", f"{order!r} is not valid: use asc or desc")

    def key(user_id: str) -> tuple[bool, str, str]:
        value = user_value(state.users[user_id], sort_by)
        return (value is None, str(value).casefold() if value is not None else "", user_id)

    return sorted(state.user_ids, key=key, reverse=order.lower() == "desc")


async def get_user(request: Request) -> Response:
    """GET /api/v1/users/{idOrLogin}."""
    state = state_of(request)
    user = check_user(state, web.token(request), state.find_user(request.path_params["user"]))
    return web.json_response(user_json(user, web.base(request)))


async def create_user(request: Request) -> Response:
    """POST /api/v1/users?activate=: activate=false → STAGED; with a password → ACTIVE; else PROVISIONED."""
    state, token = state_of(request), web.token(request)
    activate = web.flag(request, "activate", True)
    body = await web.body_json(request)
    profile = user_profile(body.get("profile"))
    has_password = password_given(body.get("credentials"))
    group_ids = body.get("groupIds") or []
    if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
        raise validation("groupIds", "must be a list of group ids")
    if token.group_ids is not None and (not group_ids or not set(group_ids) <= token.group_ids):
        # A group-scoped admin can only create users into its own groups.
        raise validation("groupIds", "a group-scoped token must put the user in one of its groups")
    status = ("ACTIVE" if has_password else "PROVISIONED") if activate else "STAGED"
    user = state.create_user(profile, status, has_password, group_ids)
    return web.json_response(user_json(user, web.base(request)))


async def update_user(request: Request) -> Response:
    """POST /api/v1/users/{id}: partial profile update (given attributes only)."""
    state = state_of(request)
    user = check_user(state, web.token(request), state.find_user(request.path_params["user"]))
    body = await web.body_json(request)
    changes = body.get("profile", {})
    if not isinstance(changes, dict):
        raise validation("profile", "must be a JSON object")
    profile = user_profile({**user.profile, **changes})
    state.update_profile(user, profile, password_given(body.get("credentials")) or None)
    return web.json_response(user_json(user, web.base(request)))


async def replace_user(request: Request) -> Response:
    """PUT /api/v1/users/{id}: the whole profile is replaced (absent attributes are cleared)."""
    state = state_of(request)
    user = check_user(state, web.token(request), state.find_user(request.path_params["user"]))
    body = await web.body_json(request)
    profile = user_profile(body.get("profile"))
    state.update_profile(user, profile, password_given(body.get("credentials")) or None)
    return web.json_response(user_json(user, web.base(request)))


async def user_groups(request: Request) -> Response:
    """GET /api/v1/users/{id}/groups: every group of the user, one unpaged array."""
    state, token = state_of(request), web.token(request)
    user = check_user(state, token, state.find_user(request.path_params["user"]))
    root = web.base(request)
    groups = [state.groups[gid] for gid in state.groups_of(user.id)]
    visible = [g for g in groups if sees_group(token, g)]
    return web.json_response([group_json(g, root) for g in visible])


def routes() -> list[Route]:
    """The user routes (lifecycle routes live in lifecycle.py)."""
    return [
        Route("/api/v1/users", list_users, methods=["GET"]),
        Route("/api/v1/users", create_user, methods=["POST"]),
        Route("/api/v1/users/{user}", get_user, methods=["GET"]),
        Route("/api/v1/users/{user}", update_user, methods=["POST"]),
        Route("/api/v1/users/{user}", replace_user, methods=["PUT"]),
        Route("/api/v1/users/{user}/groups", user_groups, methods=["GET"]),
    ]
