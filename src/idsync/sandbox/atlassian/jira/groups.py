"""Group routes: create, delete, get, /group/member paging, /group/user add and
remove, /groups/picker. Memberships are direct only: this emulator has no nested groups."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import API, group_bean, member_bean
from idsync.sandbox.atlassian.jira.generator import ADMINISTRATORS, SOFTWARE_USERS
from idsync.sandbox.atlassian.jira.licences import check_join
from idsync.sandbox.atlassian.jira.state import JiraGroup
from idsync.sandbox.atlassian.jira.users import NO_SUCH_USER
from idsync.sandbox.atlassian.jira.web import (
    JiraError,
    base_url,
    body_object,
    empty,
    json,
    query_bool,
    query_int,
    require_admin,
    require_user,
    state_of,
)

PICKER_DEFAULT = 20
"""Default of `jira.ajax.autocomplete.limit` (unverified); to list all groups pass a big maxResults."""


def _group(request: Request, param: str = "groupname") -> JiraGroup:
    name = request.query_params.get(param)
    if not name:
        raise JiraError(400, f"The '{param}' query parameter is required.")
    group = state_of(request).group(name)
    if group is None:
        # Text unverified (Jira documents only the status).
        raise JiraError(404, f"Specified group does not exist: '{name}'")
    return group


async def create_group(request: Request) -> Response:
    """POST /group {"name"}: 201 GroupBean; 400 without a name or when it exists (any case)."""
    require_admin(request)
    state = state_of(request)
    body = await body_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise JiraError(400, "You must specify a valid group name.")  # text unverified
    if state.group(name) is not None:
        raise JiraError(400, "A group or user with this name already exists.")  # text unverified
    group = state.add_group(name)
    return json(group_bean(base_url(request), group), status=201)


async def delete_group(request: Request) -> Response:
    """DELETE /group?groupname=[&swapGroup=]: 200 with an empty body."""
    require_admin(request)
    group = _group(request)
    swap = request.query_params.get("swapGroup")
    if swap:
        target = state_of(request).group(swap)
        if target is None or target is group:
            raise JiraError(400, f"The swap group '{swap}' is invalid: it must be another existing group.")
    state_of(request).delete_group(group)
    return empty(200)


async def get_group(request: Request) -> Response:
    """GET /group?groupname=&expand=users[a:b] (deprecated, still used): GroupBean, users when expanded."""
    require_admin(request)
    state = state_of(request)
    group = _group(request)
    base = base_url(request)
    bean = group_bean(base, group)
    expand = request.query_params.get("expand", "")
    if expand.startswith("users"):
        start, end = 0, 50
        if "[" in expand and expand.endswith("]"):
            lo, _, hi = expand[expand.index("[") + 1 : -1].partition(":")
            try:
                start, end = int(lo or 0), int(hi or 50)
            except ValueError:
                raise JiraError(400, f"Invalid expand '{expand}': expected users[start:end].") from None
        keys = group.sorted_members(state)[start:end]
        bean["users"].update(
            {
                "items": [member_bean(base, state.users[k]) for k in keys],
                "max-results": end - start,
                "start-index": start,
                "end-index": start + max(0, len(keys) - 1),
            }
        )
    return json(bean)


async def members(request: Request) -> Response:
    """GET /group/member?groupname=&includeInactiveUsers=&startAt=&maxResults=: a page with total."""
    require_admin(request)
    state = state_of(request)
    group = _group(request)
    start_at = query_int(request, "startAt", 0)
    max_results = query_int(request, "maxResults", 50, minimum=1)
    include_inactive = query_bool(request, "includeInactiveUsers", False)
    keys = group.sorted_members(state, include_inactive)
    page = keys[start_at : start_at + max_results]
    base = base_url(request)
    query = urlencode(
        {
            "includeInactiveUsers": str(include_inactive).lower(),
            "maxResults": max_results,
            "groupname": group.name,
            "startAt": start_at,
        }
    )
    return json(
        {
            "self": f"{base}{API}/group/member?{query}",
            "maxResults": max_results,
            "startAt": start_at,
            "total": len(keys),
            "isLast": start_at + len(page) >= len(keys),
            "values": [member_bean(base, state.users[k]) for k in page],
        }
    )


async def add_user(request: Request) -> Response:
    """POST /group/user?groupname= {"name"}: 201 GroupBean; 404 no such group or user; 400 already member."""
    require_admin(request)
    state = state_of(request)
    group = _group(request)
    body = await body_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise JiraError(400, "You must specify the username of the user to add ('name').")
    user = state.user_by_name(name)
    if user is None:
        raise JiraError(404, NO_SUCH_USER)
    if user.key in group.members:
        # Jira Cloud's text (issue AX-17; Cloud shares DC's code lineage); DC's wording is not documented.
        raise JiraError(400, f"Cannot add user. User is already a member of '{group.name}'")
    check_join(state, group, user)
    state.add_member(group, user)
    return json(group_bean(base_url(request), group), status=201)


async def remove_user(request: Request) -> Response:
    """DELETE /group/user?groupname=&username=: 200 empty; 404 no such group or user; 400 not a member."""
    require_admin(request)
    state = state_of(request)
    group = _group(request)
    name = request.query_params.get("username")
    if not name:
        raise JiraError(400, "The 'username' query parameter is required.")
    user = state.user_by_name(name)
    if user is None:
        raise JiraError(404, NO_SUCH_USER)
    if user.key not in group.members:
        raise JiraError(400, f"Cannot remove user. User is not a member of '{group.name}'")  # unverified
    state.remove_member(group, user)
    return empty(200)


def _labels(group: JiraGroup) -> list[dict[str, Any]]:
    lower = group.name.lower()
    if lower == ADMINISTRATORS:
        return [
            {
                "text": "Admin",
                "title": "Users added to this group will be given administrative access",
                "type": "ADMIN",
            }
        ]
    if lower == SOFTWARE_USERS:
        return [
            {
                "text": "Jira Software",
                "title": "Users added to this group will be given access to Jira Software",
                "type": "SINGLE",
            }
        ]
    return []


def _highlight(name: str, query: str) -> str:
    if not query:
        return html.escape(name)
    at = name.lower().find(query)
    end = at + len(query)
    return f"{html.escape(name[:at])}<b>{html.escape(name[at:end])}</b>{html.escape(name[end:])}"


async def picker(request: Request) -> Response:
    """GET /groups/picker?query=&exclude=&maxResults=: substring match, no paging, total of matches."""
    require_user(request)
    state = state_of(request)
    query = request.query_params.get("query", "").lower()
    excluded = {name.lower() for name in request.query_params.getlist("exclude")}
    max_results = query_int(request, "maxResults", PICKER_DEFAULT)
    found = sorted(
        (g for lower, g in state.groups.items() if query in lower and lower not in excluded),
        key=lambda g: g.name.lower(),
    )
    shown = found[:max_results]
    return json(
        {
            "header": f"Showing {len(shown)} of {len(found)} matching groups",
            "total": len(found),
            "groups": [
                {"name": g.name, "html": _highlight(g.name, query), "labels": _labels(g)} for g in shown
            ],
        }
    )


def routes() -> list[Route]:
    """The group routes under /rest/api/2."""
    return [
        Route("/rest/api/2/group", get_group, methods=["GET"]),
        Route("/rest/api/2/group", create_group, methods=["POST"]),
        Route("/rest/api/2/group", delete_group, methods=["DELETE"]),
        Route("/rest/api/2/group/member", members, methods=["GET"]),
        Route("/rest/api/2/group/user", add_user, methods=["POST"]),
        Route("/rest/api/2/group/user", remove_user, methods=["DELETE"]),
        Route("/rest/api/2/groups/picker", picker, methods=["GET"]),
    ]
