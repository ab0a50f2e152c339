"""/api/v1/apps: list, get, app users (default 50, max 500, expand=user, scope USER/GROUP), app
groups (default 20, max 200, expand=group), assign / unassign users and groups.
Super-admin only: a group-scoped token gets 403 E0000006 (Okta does not document it; see scope.py)."""

from __future__ import annotations

import bisect

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.errors import validation
from idsync.sandbox.okta.render import app_group_json, app_json, app_user_json, group_json, user_json
from idsync.sandbox.okta.users import state_of


async def list_apps(request: Request) -> Response:
    """GET /api/v1/apps (default 20, max 200)."""
    web.require_admin(request)
    state = state_of(request)
    count = web.limit(request, 20, 200)
    after = request.query_params.get("after")
    ids = state.app_ids
    start = bisect.bisect_right(ids, after) if after else 0
    page, more = web.take((state.apps[ids[i]] for i in range(start, len(ids))), count)
    root = web.base(request)
    return web.paged_response(
        request, [app_json(a, root) for a in page], page[-1].id if more and page else None, count
    )


async def get_app(request: Request) -> Response:
    """GET /api/v1/apps/{id}."""
    web.require_admin(request)
    app = state_of(request).find_app(request.path_params["app"])
    return web.json_response(app_json(app, web.base(request)))


async def app_users(request: Request) -> Response:
    """GET /api/v1/apps/{id}/users?after=&limit=&q=&expand=user."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    count = web.limit(request, 50, 500)
    scopes = state.app_user_scopes(app.id)
    ids = sorted(scopes)
    after = request.query_params.get("after")
    start = bisect.bisect_right(ids, after) if after else 0
    q = (request.query_params.get("q") or "").casefold()
    direct = state.app_users[app.id]
    candidates = (state.users[ids[i]] for i in range(start, len(ids)))
    if q:
        candidates = (
            u
            for u in candidates
            if any(
                str(v or "").casefold().startswith(q)
                for v in (
                    (direct[u.id].user_name if u.id in direct else u.profile.get("login")),
                    u.profile.get("firstName"),
                    u.profile.get("lastName"),
                    u.profile.get("email"),
                )
            )
        )
    page, more = web.take(candidates, count)
    root = web.base(request)
    expand_user = request.query_params.get("expand") == "user"
    data = []
    for user in page:
        item = app_user_json(app, user, scopes[user.id], direct.get(user.id), root)
        if expand_user:
            item["_embedded"] = {"user": user_json(user, root)}
        data.append(item)
    return web.paged_response(request, data, page[-1].id if more and page else None, count)


async def assign_user(request: Request) -> Response:
    """POST /api/v1/apps/{id}/users {"id", "scope": "USER", "credentials": {"userName"}, "profile"}."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    body = await web.body_json(request)
    user_id = body.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise validation("id", "the id of the user to assign is required")
    user = state.find_user(user_id)
    scope = body.get("scope", "USER")
    if scope != "USER":
        raise validation("scope", f"{scope!r} is not valid for a direct assignment: use USER")
    credentials = body.get("credentials") or {}
    user_name = credentials.get("userName") if isinstance(credentials, dict) else None
    profile = body.get("profile") or {}
    if not isinstance(profile, dict):
        raise validation("profile", "must be a JSON object")
    assignment = state.assign_user(app, user, user_name or user.profile["login"], profile)
    return web.json_response(app_user_json(app, user, "USER", assignment, web.base(request)))


async def unassign_user(request: Request) -> Response:
    """DELETE /api/v1/apps/{id}/users/{uid} → 204."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    state.unassign_user(app, state.find_user(request.path_params["user"]))
    return web.empty()


async def app_groups(request: Request) -> Response:
    """GET /api/v1/apps/{id}/groups?after=&limit=&expand=group; limit 1–200 (the spec's minimum of 20
    is odd, so any limit from 1 is accepted)."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    count = web.limit(request, 20, 200)
    assigned = state.app_groups[app.id]
    ids = sorted(assigned)
    after = request.query_params.get("after")
    start = bisect.bisect_right(ids, after) if after else 0
    page, more = web.take((assigned[ids[i]] for i in range(start, len(ids))), count)
    root = web.base(request)
    expand_group = "group" in request.query_params.get("expand", "").split(",")
    data = []
    for assignment in page:
        item = app_group_json(app, assignment, root)
        if expand_group:
            item["_embedded"] = {"group": group_json(state.groups[assignment.group_id], root)}
        data.append(item)
    return web.paged_response(request, data, page[-1].group_id if more and page else None, count)


async def assign_group(request: Request) -> Response:
    """PUT /api/v1/apps/{id}/groups/{gid} {"priority": 0} → 200 assignment."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    group = state.find_group(request.path_params["group"])
    body = await web.body_json(request)
    priority = body.get("priority", 0)
    if not isinstance(priority, int) or priority < 0:
        raise validation("priority", f"{priority!r} is not valid: use a whole number, 0 or more")
    assignment = state.assign_group(app, group, priority)
    return web.json_response(app_group_json(app, assignment, web.base(request)))


async def unassign_group(request: Request) -> Response:
    """DELETE /api/v1/apps/{id}/groups/{gid} → 204."""
    web.require_admin(request)
    state = state_of(request)
    app = state.find_app(request.path_params["app"])
    state.unassign_group(app, state.find_group(request.path_params["group"]))
    return web.empty()


def routes() -> list[Route]:
    """The app routes."""
    return [
        Route("/api/v1/apps", list_apps, methods=["GET"]),
        Route("/api/v1/apps/{app}", get_app, methods=["GET"]),
        Route("/api/v1/apps/{app}/users", app_users, methods=["GET"]),
        Route("/api/v1/apps/{app}/users", assign_user, methods=["POST"]),
        Route("/api/v1/apps/{app}/users/{user}", unassign_user, methods=["DELETE"]),
        Route("/api/v1/apps/{app}/groups", app_groups, methods=["GET"]),
        Route("/api/v1/apps/{app}/groups/{group}", assign_group, methods=["PUT"]),
        Route("/api/v1/apps/{app}/groups/{group}", unassign_group, methods=["DELETE"]),
    ]
