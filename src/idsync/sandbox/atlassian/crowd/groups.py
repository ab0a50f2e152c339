"""Group routes: GET/POST/PUT/DELETE /group, and groups in groups (/group/child-group/...,
/group/parent-group/...). User memberships are in memberships.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.crowd.entities import group_entity, group_list
from idsync.sandbox.atlassian.crowd.state import CrowdGroup, CrowdState
from idsync.sandbox.atlassian.crowd.web import (
    API,
    CrowdError,
    base_url,
    body_object,
    empty,
    expands,
    find_group,
    page,
    require,
    respond,
    runtime_of,
    state_of,
)


def sorted_groups(state: CrowdState, names: set[str]) -> list[CrowdGroup]:
    """Groups by lower-case name: the order lists are served in."""
    return [state.groups[name] for name in sorted(names)]


def _fields(body: dict[str, Any]) -> tuple[str, bool]:
    kind = body.get("type", "GROUP")
    if kind != "GROUP":
        raise CrowdError(400, "INVALID_GROUP", f"Unsupported group type {kind!r}; only GROUP can be created")
    description = body.get("description") or ""
    active = body.get("active", True)
    if not isinstance(description, str) or not isinstance(active, bool):
        raise CrowdError(400, "INVALID_GROUP", "'description' must be a string and 'active' a boolean")
    return description, active


async def get_group(request: Request) -> Response:
    """GET /group?groupname=[&expand=attributes]: 200 Group or 404."""
    group = find_group(request)
    return respond(request, group_entity(base_url(request), group, "attributes" in expands(request)), "group")


async def create_group(request: Request) -> Response:
    """POST /group {"name", "type", "description", "active"}: 201 with Location; 400 when it exists."""
    require(request, "CREATE_GROUP")
    state = state_of(request)
    body = await body_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > 255:
        raise CrowdError(
            400, "INVALID_GROUP", "A group name of 1-255 characters without edge spaces is required"
        )
    description, active = _fields(body)
    if state.group(name) is not None:
        raise CrowdError(400, "INVALID_GROUP", f"Group <{name}> already exists")
    state.add_group(name, runtime_of(request).clock.now(), description, active)
    location = f"{base_url(request)}{API}/group?groupname={quote(name)}"
    return empty(201, headers={"location": location})


async def update_group(request: Request) -> Response:
    """PUT /group?groupname=: description and active; 200 Group; 400 when the names differ."""
    require(request, "UPDATE_GROUP")
    group = find_group(request)
    body = await body_object(request)
    name = body.get("name")
    if not isinstance(name, str) or name.lower() != group.name.lower():
        raise CrowdError(400, "ILLEGAL_ARGUMENT", "The group name in the body does not match the URI")
    group.description, group.active = _fields(body)
    group.updated = runtime_of(request).clock.now()
    return respond(request, group_entity(base_url(request), group), "group")


async def delete_group(request: Request) -> Response:
    """DELETE /group?groupname=: 204, or 404."""
    require(request, "DELETE_GROUP")
    state_of(request).delete_group(find_group(request))
    return empty(204)


def _child(request: Request, parent: CrowdGroup, name: str | None) -> CrowdGroup:
    child = state_of(request).group(name) if name else None
    if child is None:
        raise CrowdError(404, "MEMBERSHIP_NOT_FOUND", f"Group <{name}> is not a child of <{parent.name}>")
    return child


async def child_groups(request: Request) -> Response:
    """GET /group/child-group/direct?groupname=[&child-groupname=]: the list, or a membership check."""
    state = state_of(request)
    parent = find_group(request)
    wanted = request.query_params.get("child-groupname")
    base = base_url(request)
    if wanted is not None:
        child = _child(request, parent, wanted)
        if child.name.lower() not in parent.children:
            raise CrowdError(
                404, "MEMBERSHIP_NOT_FOUND", f"Group <{wanted}> is not a child of <{parent.name}>"
            )
        return respond(request, group_entity(base, child), "group")
    groups = page(request, sorted_groups(state, parent.children))
    return respond(request, group_list(base, groups, expands(request)), "groups")


async def add_child(request: Request) -> Response:
    """POST /group/child-group/direct?groupname= {"name"}: 201; 400 child missing; 409 already."""
    require(request, "UPDATE_GROUP")
    state = state_of(request)
    parent = find_group(request)
    name = (await body_object(request)).get("name")
    child = state.group(name) if isinstance(name, str) else None
    if child is None:
        raise CrowdError(400, "GROUP_NOT_FOUND", f"Group <{name}> does not exist")
    if not runtime_of(request).options.nested_groups:
        raise CrowdError(400, "NESTED_GROUPS_NOT_SUPPORTED", "The directory does not support nested groups")
    if child is parent:
        raise CrowdError(400, "INVALID_GROUP", "A group cannot be a member of itself")
    if child.name.lower() in parent.children:
        raise CrowdError(409, "MEMBERSHIP_ALREADY_EXISTS",
                         f"Group <{child.name}> is already a child of <{parent.name}>")  # fmt: skip
    state.add_child(parent, child)
    return empty(201)


async def remove_child(request: Request) -> Response:
    """DELETE /group/child-group/direct?groupname=&child-groupname=: 204, or 404."""
    require(request, "UPDATE_GROUP")
    parent = find_group(request)
    wanted = request.query_params.get("child-groupname")
    child = _child(request, parent, wanted)
    if child.name.lower() not in parent.children:
        raise CrowdError(404, "MEMBERSHIP_NOT_FOUND", f"Group <{wanted}> is not a child of <{parent.name}>")
    state_of(request).remove_child(parent, child)
    return empty(204)


def _related(direction: str, nested: bool) -> Any:
    async def route(request: Request) -> Response:
        state = state_of(request)
        group = find_group(request)
        direct = group.parents if direction == "parent" else group.children
        names = state.nested_groups(set(direct), upward=direction == "parent") if nested else set(direct)
        names.discard(group.name.lower())
        groups = page(request, sorted_groups(state, names))
        return respond(request, group_list(base_url(request), groups, expands(request)), "groups")

    route.__doc__ = (
        f"GET /group/{direction}-group/{'nested' if nested else 'direct'}?groupname=: a GroupList."
    )
    return route


def routes() -> list[Route]:
    """The /group routes."""
    return [
        Route(f"{API}/group", get_group, methods=["GET"]),
        Route(f"{API}/group", create_group, methods=["POST"]),
        Route(f"{API}/group", update_group, methods=["PUT"]),
        Route(f"{API}/group", delete_group, methods=["DELETE"]),
        Route(f"{API}/group/child-group/direct", child_groups, methods=["GET"]),
        Route(f"{API}/group/child-group/direct", add_child, methods=["POST"]),
        Route(f"{API}/group/child-group/direct", remove_child, methods=["DELETE"]),
        Route(f"{API}/group/child-group/nested", _related("child", True), methods=["GET"]),
        Route(f"{API}/group/parent-group/direct", _related("parent", False), methods=["GET"]),
        Route(f"{API}/group/parent-group/nested", _related("parent", True), methods=["GET"]),
    ]
