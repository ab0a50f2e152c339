"""Finding SCIM resources: complete paged listings, `eq` lookups, and the ids already known.

A listing pages with `startIndex` / `count` (RFC 7644 §3.4.2.4) until `totalResults` resources were
read. The page size counts what came back, never `itemsPerPage` (Atlassian echoes the page size
asked for there, not the number returned). A page that comes back empty before the total is reached
fails the read: a partial list never stands for "these are all the users".

Plan items name users by username and groups by name; SCIM addresses both by `id`. `Ids` remembers
the ids the reads and the writes of this connection saw (a created user's id, a managed group's id),
so an item costs one request, and an id not seen yet is looked up with one `eq` filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim2_models import ListResponse, Resource

from idsync.domain.errors import ConnectorError
from idsync.targets.scim.client import CHECKED, ScimWire, eq_filter, unreadable
from idsync.targets.scim.discovery import Discovery


@dataclass
class Ids:
    """SCIM ids by case-folded userName / displayName (both are caseExact false, RFC 7643 §4)."""

    users: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def user(self, name: str, resource_id: str) -> None:
        """Remember a user's id."""
        self.users[name.casefold()] = resource_id

    def group(self, name: str, resource_id: str) -> None:
        """Remember a group's id."""
        self.groups[name.casefold()] = resource_id


async def list_all(
    wire: ScimWire,
    model: type[Resource[Any]],
    page_size: int,
    *,
    endpoint: str,
    filter: str | None = None,
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
) -> tuple[list[Any], int]:
    """Every resource of `model` (served at `endpoint`, e.g. "/Users") matching `filter`, and the total
    the server reported."""
    found: list[Any] = []
    start = 1
    while True:
        params: dict[str, Any] = {"startIndex": start, "count": page_size}
        if filter is not None:
            params["filter"] = filter
        if attributes:
            params["attributes"] = attributes
        if excluded:
            params["excludedAttributes"] = excluded
        page = await query(wire, model, params, endpoint, f"GET {endpoint} (startIndex={start})")
        resources = list(page.resources or [])
        found.extend(resources)
        total = page.total_results if page.total_results is not None else len(found)
        if len(found) >= total:
            return found, total
        if not resources:
            raise ConnectorError(
                f"GET {endpoint}: the page at startIndex={start} came back empty after {len(found)} of "
                f"{total} resources; the list cannot be read completely"
            )
        start += len(resources)


async def count(wire: ScimWire, model: type[Resource[Any]]) -> int:
    """totalResults of `count=0` (RFC 7644 §3.4.2.4: only the total is returned)."""
    page = await query(wire, model, {"count": 0}, "/Users", "GET /Users (count=0)")
    if page.total_results is None:
        raise ConnectorError("GET /Users?count=0: the answer has no totalResults")
    return int(page.total_results)


async def query(
    wire: ScimWire, model: type[Resource[Any]], params: dict[str, Any], endpoint: str, what: str
) -> Any:
    """One ListResponse, checked by scim2-client against the discovered model."""
    try:
        page = await wire.query(model, query_parameters=params, label=endpoint)
    except CHECKED as exc:
        raise unreadable(what, exc) from exc
    if not isinstance(page, ListResponse):
        raise ConnectorError(f"{what}: the answer is not a ListResponse")
    return page


async def find(
    wire: ScimWire, model: type[Resource[Any]], endpoint: str, attribute: str, value: str, page_size: int
) -> list[Any]:
    """The resources whose `attribute` equals `value` (one `eq` filter)."""
    found, _ = await list_all(wire, model, page_size, endpoint=endpoint, filter=eq_filter(attribute, value))
    return found


async def user_id(wire: ScimWire, found: Discovery, ids: Ids, username: str, page_size: int) -> str | None:
    """The id of the user with `username`: remembered, else one `userName eq` lookup (None: none)."""
    known = ids.users.get(username.casefold())
    if known is not None:
        return known
    for user in await find(wire, found.user_model, "/Users", "userName", username, page_size):
        if user.id and str(user.user_name).casefold() == username.casefold():
            ids.user(str(user.user_name), str(user.id))
            return str(user.id)
    return None


async def group_id(wire: ScimWire, found: Discovery, ids: Ids, name: str, page_size: int) -> str | None:
    """The id of the group called `name`: remembered, else one `displayName eq` lookup (None: none)."""
    known = ids.groups.get(name.casefold())
    if known is not None:
        return known
    for group in await find(wire, found.group_model, "/Groups", "displayName", name, page_size):
        if group.id and str(group.display_name).casefold() == name.casefold():
            ids.group(str(group.display_name), str(group.id))
            return str(group.id)
    return None
