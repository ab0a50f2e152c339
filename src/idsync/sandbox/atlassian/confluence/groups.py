"""Groups: reading (`/group`, `/group/{name}`, `/group/{name}/member`), administration
(`/admin/group`) and direct memberships (`PUT` / `DELETE /user/{username}/group/{groupName}`).

Memberships use only the documented PUT / DELETE pair, both 204 and idempotent; the
`POST /group/{name}/member` form one client library uses is not in Atlassian's REST documentation
and is not served. Group names travel in the path, so names containing '/' cannot be addressed
here. There are no nested groups.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.confluence.beans import group_bean, person
from idsync.sandbox.atlassian.confluence.state import ConfluenceGroup
from idsync.sandbox.atlassian.confluence.users import no_such_user
from idsync.sandbox.atlassian.confluence.versions import ALWAYS, GROUP_ADMIN, Since
from idsync.sandbox.atlassian.confluence.web import (
    ADMIN_GROUP,
    API,
    ConfluenceError,
    base_url,
    body_object,
    empty,
    expansions,
    json,
    page,
    require_admin,
    require_user,
    state_of,
)


def _group(request: Request, param: str = "name") -> ConfluenceGroup:
    name = request.path_params[param]
    group = state_of(request).group(name)
    if group is None:
        raise ConfluenceError(404, f"No group found with name: {name}")  # text unverified
    return group


async def list_groups(request: Request) -> Response:
    """GET /group?start=&limit= → page of groups by name."""
    require_user(request)
    base = base_url(request)
    return page(request, state_of(request).groups_by_name(), lambda g: group_bean(base, g))


async def get_group(request: Request) -> Response:
    """GET /group/{name} → the group, 404 when unknown."""
    require_user(request)
    return json(group_bean(base_url(request), _group(request)))


async def members(request: Request) -> Response:
    """GET /group/{name}/member?start=&limit=&expand= → page of direct members (Person) by username."""
    require_user(request)
    state = state_of(request)
    group = _group(request)
    base, expand = base_url(request), expansions(request)
    return page(request, group.sorted_members(state), lambda key: person(base, state.users[key], expand))


async def create_group(request: Request) -> Response:
    """POST /admin/group {name} → 201 group; 400 without a name; 409 when it exists (any case). The
    documentation gives no success code; 201 is what a create answers elsewhere in this API."""
    require_admin(request)
    state = state_of(request)
    name = (await body_object(request)).get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfluenceError(400, "Group name is required", valid=False)
    if state.group(name) is not None:
        raise ConfluenceError(409, f"A group with name '{name}' already exists")
    return json(group_bean(base_url(request), state.add_group(name)), status=201)


async def delete_group(request: Request) -> Response:
    """DELETE /admin/group/{name} → 204; 400 for the administrators group (it would lock admins out)."""
    require_admin(request)
    group = _group(request)
    if group.name.lower() == ADMIN_GROUP:
        raise ConfluenceError(400, f"Cannot delete group '{group.name}': it is the last administrators group")
    state_of(request).delete_group(group)
    return empty(204)


def _membership(request: Request) -> tuple[ConfluenceGroup, str]:
    require_admin(request)
    state = state_of(request)
    username = request.path_params["username"]
    user = state.user_by_name(username)
    if user is None:
        raise no_such_user(username)
    return _group(request, "groupName"), user.key


async def add_member(request: Request) -> Response:
    """PUT /user/{username}/group/{group} → 204, also when already a member."""
    group, key = _membership(request)
    state = state_of(request)
    state.add_member(group, state.users[key])
    return empty(204)


async def remove_member(request: Request) -> Response:
    """DELETE /user/{username}/group/{group} → 204, also when not a member."""
    group, key = _membership(request)
    state = state_of(request)
    state.remove_member(group, state.users[key])
    return empty(204)


def routes() -> list[tuple[Route, Since]]:
    """The group routes, each with the release that introduced it."""
    membership = f"{API}/user/{{username}}/group/{{groupName}}"
    return [
        (Route(f"{API}/group", list_groups, methods=["GET"]), ALWAYS),
        (Route(f"{API}/group/{{name}}", get_group, methods=["GET"]), ALWAYS),
        (Route(f"{API}/group/{{name}}/member", members, methods=["GET"]), ALWAYS),
        (Route(f"{API}/admin/group", create_group, methods=["POST"]), GROUP_ADMIN),
        (Route(f"{API}/admin/group/{{name}}", delete_group, methods=["DELETE"]), GROUP_ADMIN),
        (Route(membership, add_member, methods=["PUT"]), GROUP_ADMIN),
        (Route(membership, remove_member, methods=["DELETE"]), GROUP_ADMIN),
    ]
