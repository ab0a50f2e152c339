"""/Groups: list (one `displayName eq` filter), create, read, replace, patch, delete.

Atlassian's group rules: names are unique in the whole organization — SCIM groups and the groups the
organization already had (site-admins, the products' groups) share one namespace, so a clash with
either is 409 uniqueness; a group cannot be renamed (a different displayName in PUT or PATCH is 400
mutability: an IdP must create a new group, move the members and delete the old one); members are
users of this directory (any other id is 400 invalidValue, as RFC 7644 has for a value the server
cannot accept), at most `max_group_members` of them (400 naming the limit; the real error form is not
captured). A PATCH answers 200 with the group, members included, as Atlassian documents.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from scim2_models import Context, Group, SCIMException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.cloud.errors import from_library, group_error, not_found
from idsync.sandbox.cloud.group_patch import GroupChange, apply_patch
from idsync.sandbox.cloud.models import CORE_GROUP, POLICY
from idsync.sandbox.cloud.query import eq_filter, list_response, page_of, projection_of
from idsync.sandbox.cloud.state import CloudState, GroupRecord
from idsync.sandbox.cloud.users import stamp
from idsync.sandbox.cloud.web import (
    PREFIX,
    body_object,
    directory_url,
    no_content,
    runtime_of,
    scim,
    state_of,
)


def render(group: GroupRecord, state: CloudState, base: str, members: bool = True) -> dict[str, Any]:
    """The group as Atlassian answers it (`members=False` skips building the member list, for
    `excludedAttributes=members` on a large group)."""
    doc: dict[str, Any] = {"schemas": [CORE_GROUP], "id": group.id}
    if group.external_id is not None:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    if members:
        users = state.users
        doc["members"] = [
            {"type": "User", "value": uid, "display": users[uid].display, "$ref": f"{base}/Users/{uid}"}
            for uid in group.members
        ]
    doc["meta"] = {
        "resourceType": "Group",
        "location": f"{base}/Groups/{group.id}",
        "created": stamp(group.created),
        "lastModified": stamp(group.modified),
    }
    return doc


def _respond(request: Request, group: GroupRecord, status: int = 200, **headers: str) -> Response:
    projection = projection_of(request, CORE_GROUP)
    doc = render(group, state_of(request), directory_url(request), projection.wants("members"))
    return scim(projection.apply(doc), status, headers or None)


def _existing(request: Request) -> GroupRecord:
    group_id = request.path_params["group_id"]
    group = state_of(request).groups.get(group_id)
    if group is None:
        raise not_found("group", group_id)
    return group


def _read(body: dict[str, Any], context: Context) -> GroupChange:
    try:
        group = Group.model_validate(body, scim_ctx=context, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise from_library(exc, "GROUP") from exc
    members: dict[str, None] = {}
    for member in group.members or []:
        if member.type is not None and str(member.type).casefold() != "user":
            raise group_error(
                400,
                f"member {member.value!r} has type {member.type!r}; only users can be members "
                "(no nested groups)",
                "invalidValue",
            )
        if member.value:
            members[member.value] = None
    return GroupChange(members, group.external_id, [group.display_name] if group.display_name else [])


def _check_members(state: CloudState, change: GroupChange, limit: int, name: str) -> None:
    unknown = [m for m in change.members if m not in state.users]
    if unknown:
        shown = ", ".join(repr(m) for m in unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise group_error(
            400, f"members must be users of this directory; unknown user id(s): {shown}", "invalidValue"
        )
    if len(change.members) > limit:
        raise group_error(
            400,
            f"group {name!r} would have {len(change.members)} members; a synced group can have at most "
            f"{limit} users",
        )


def _commit(request: Request, group: GroupRecord, change: GroupChange) -> None:
    """Check a change of an existing group and apply it."""
    runtime = runtime_of(request)
    state = runtime.state
    for name in change.display_names:
        if name != group.display_name:
            raise group_error(
                400,
                f"Renaming a group is not supported: displayName {group.display_name!r} cannot become "
                f"{name!r}; create a new group, move the members and delete the old one",
                "mutability",
            )
    _check_members(state, change, runtime.options.max_group_members, group.display_name)
    for user_id in [m for m in group.members if m not in change.members]:
        state.remove_member(group, user_id)
    for user_id in change.members:
        state.add_member(group, user_id)
    group.external_id = change.external_id
    group.modified = runtime.clock.now()


async def list_groups(request: Request) -> Response:
    """GET /Groups: all SCIM groups (not the organization's own), or the one `displayName eq` names."""
    runtime = runtime_of(request)
    state = runtime.state
    wanted = eq_filter(request, ("displayName",), CORE_GROUP)
    page = page_of(request, runtime.options.max_results)
    projection = projection_of(request, CORE_GROUP)
    if wanted is None:
        ids = list(state.groups)
    else:
        found = state.group_id_by_name(wanted.value)
        ids = [found] if found else []
    base = directory_url(request)
    with_members = projection.wants("members")
    resources = [
        projection.apply(render(state.groups[ids[i]], state, base, with_members))
        for i in page.slice(len(ids))
    ]
    return scim(list_response(resources, len(ids), page))


async def create_group(request: Request) -> Response:
    """POST /Groups: 201 with the group; 409 when the name is taken in the organization."""
    runtime = runtime_of(request)
    state = runtime.state
    change = _read(await body_object(request), Context.RESOURCE_CREATION_REQUEST)
    name = change.display_names[0]
    if state.group_id_by_name(name) is not None or name.casefold() in state.org_groups:
        raise group_error(
            409,
            f"A group named {name!r} already exists in the organization (group names are unique "
            "across SCIM groups and the organization's own groups)",
            "uniqueness",
        )
    _check_members(state, change, runtime.options.max_group_members, name)
    now = runtime.clock.now()
    group = GroupRecord(state.new_id(), name, change.external_id, now, now, dict(change.members))
    state.add_group(group)
    return _respond(request, group, 201, Location=f"{directory_url(request)}/Groups/{group.id}")


async def get_group(request: Request) -> Response:
    """GET /Groups/{id} (`excludedAttributes=members` for the group without its members)."""
    return _respond(request, _existing(request))


async def replace_group(request: Request) -> Response:
    """PUT /Groups/{id}: members and externalId replaced; the displayName must stay the same."""
    group = _existing(request)
    change = _read(await body_object(request), Context.RESOURCE_REPLACEMENT_REQUEST)
    _commit(request, group, change)
    return _respond(request, group)


async def patch_group(request: Request) -> Response:
    """PATCH /Groups/{id}: 200 with the group (members included)."""
    group = _existing(request)
    change = apply_patch(await body_object(request), group.members, group.external_id)
    _commit(request, group, change)
    return _respond(request, group)


async def delete_group(request: Request) -> Response:
    """DELETE /Groups/{id}: 204."""
    group = _existing(request)
    state_of(request).remove_group(group.id)
    return no_content()


def routes() -> list[Route]:
    """The /Groups routes."""
    return [
        Route(f"{PREFIX}/Groups", list_groups, methods=["GET"]),
        Route(f"{PREFIX}/Groups", create_group, methods=["POST"]),
        Route(f"{PREFIX}/Groups/{{group_id}}", get_group, methods=["GET"]),
        Route(f"{PREFIX}/Groups/{{group_id}}", replace_group, methods=["PUT"]),
        Route(f"{PREFIX}/Groups/{{group_id}}", patch_group, methods=["PATCH"]),
        Route(f"{PREFIX}/Groups/{{group_id}}", delete_group, methods=["DELETE"]),
    ]
