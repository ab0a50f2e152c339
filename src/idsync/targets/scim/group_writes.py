"""Carrying out group items against a SCIM server: create (with the source group id as `externalId`),
rename, delete, and memberships added and removed in batches.

Memberships change through the Group (a User's `groups` is readOnly, RFC 7643 §4.1.2). One PATCH
carries many: an `add` of `members` with every new member's id, or one `remove` operation
(`members[value eq "<id>"]`) per member leaving. When a batch is refused as a whole (4xx: a member id
the server does not know), each item is sent on its own, so every item gets its own outcome and the
others still land. A transient failure (retried by HttpClient first) or an authentication failure
fails the whole batch.

Idempotent outcomes are successes, because the state they aim at is reached: a group that exists
when it is created (adopted when it carries no externalId or ours), removing a member from a group or
of a user that is gone, deleting a group that is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from idsync.domain.errors import BadRequestError, ConflictError, ConnectorError, NotFoundError
from idsync.domain.plan import Action, PlanItem
from idsync.targets.atlassian import item_group
from idsync.targets.jira.state import bounded_map
from idsync.targets.scim.client import CHECKED, ScimWire, eq_filter, unreadable
from idsync.targets.scim.discovery import Discovery
from idsync.targets.scim.flavour import Flavour
from idsync.targets.scim.lookup import Ids, find, group_id, user_id
from idsync.targets.scim.patching import Operation, modify


class GroupWriter:
    """Maps each group Action to its SCIM request."""

    def __init__(
        self, wire: ScimWire, found: Discovery, flavour: Flavour, ids: Ids, page_size: int, concurrency: int
    ) -> None:
        self.wire = wire
        self.found = found
        self.flavour = flavour
        self.ids = ids
        self.page_size = page_size
        self.concurrency = concurrency

    async def execute(self, item: PlanItem) -> None:
        """Carry out one group item (a membership item is a batch of one)."""
        match item.action:
            case Action.CREATE_GROUP:
                await self._create(item)
            case Action.RENAME_GROUP:
                await self._rename(item)
            case Action.DELETE_GROUP:
                await self._delete(item)
            case Action.ADD_MEMBER | Action.REMOVE_MEMBER:
                (outcome,) = await self.members([item])
                if isinstance(outcome, Exception):
                    raise outcome
            case _:
                raise BadRequestError(f"{item.action} of {item.subject}: not a group change")

    # --- groups ----------------------------------------------------------------------------------

    async def _create(self, item: PlanItem) -> None:
        name = item_group(item)
        body: dict[str, Any] = {"displayName": name, "members": []}
        if item.source_id:
            body["externalId"] = item.source_id
        try:
            resource = self.found.group_model.model_validate(body)
            created: Any = await self.wire.create(resource, label="/Groups")
        except ConflictError as conflict:
            await self._adopt(item, conflict)
            return
        except CHECKED as exc:
            raise unreadable(f"POST /Groups ({name})", exc) from exc
        if created is None or not getattr(created, "id", None):
            raise ConnectorError(f"POST /Groups ({name}): the answer carries no id")
        self.ids.group(name, str(created.id))

    async def _adopt(self, item: PlanItem, conflict: ConflictError) -> None:
        """A group of that name exists: it is ours to manage unless it was made from another source
        group (another externalId)."""
        name = item_group(item)
        hits = await find(self.wire, self.found.group_model, "/Groups", "displayName", name, self.page_size)
        match = next((g for g in hits if str(g.display_name).casefold() == name.casefold()), None)
        if match is None:
            raise ConflictError(
                f"{conflict}; no group {name!r} can be found in the SCIM directory, so the name is taken "
                f"outside it (on {self.flavour.label}: an organisation or site group of that name)",
                status=409,
            )
        external = match.external_id
        if external and item.source_id and external != item.source_id:
            raise ConflictError(
                f"create_group {name}: {self.flavour.label} already has a group {name!r} made from another "
                f"source group (externalId {external!r}, not {item.source_id!r}); rename one of them",
                status=409,
            )
        if item.source_id and not external:
            await modify(self.wire, self.found.group_model, "/Groups", str(match.id),
                         [("replace", "externalId", item.source_id)], patch=self.found.patch)  # fmt: skip
        self.ids.group(name, str(match.id))

    async def _rename(self, item: PlanItem) -> None:
        new = item_group(item)
        old = next((c.old for c in item.changes if c.field in ("name", "group", "displayName")), None)
        if not self.flavour.group_rename:
            raise BadRequestError(
                f"rename_group {old!r} → {new!r}: {self.flavour.label} cannot rename a group "
                "(plan a new group, move the members and delete the old one)"
            )
        if not isinstance(old, str) or not old:
            raise BadRequestError(f"rename_group to {new!r}: the item names no old group name")
        gid = await self._id(old, item)
        await modify(self.wire, self.found.group_model, "/Groups", gid, [("replace", "displayName", new)],
                     patch=self.found.patch)  # fmt: skip
        self.ids.groups.pop(old.casefold(), None)
        self.ids.group(new, gid)

    async def _delete(self, item: PlanItem) -> None:
        name = item_group(item)
        gid = await group_id(self.wire, self.found, self.ids, name, self.page_size)
        if gid is None:
            return  # already gone
        try:
            await self.wire.delete(self.found.group_model, gid, label="/Groups/{id}")
        except NotFoundError:
            pass
        except CHECKED as exc:
            raise unreadable(f"DELETE /Groups/{gid}", exc) from exc
        self.ids.groups.pop(name.casefold(), None)

    async def _id(self, name: str, item: PlanItem) -> str:
        gid = await group_id(self.wire, self.found, self.ids, name, self.page_size)
        if gid is None:
            label = self.flavour.label
            raise NotFoundError(f"{item.action} of {item.subject}: {label} has no group {name!r}")
        return gid

    # --- members ---------------------------------------------------------------------------------

    async def members(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        """ADD_MEMBER or REMOVE_MEMBER items of one group (all the same action) in one PATCH."""
        adding = items[0].action is Action.ADD_MEMBER
        name = item_group(items[0])
        gid = await group_id(self.wire, self.found, self.ids, name, self.page_size)
        if gid is None:
            if adding:
                missing = NotFoundError(f"add_member to {name}: {self.flavour.label} has no group {name!r}")
                return [missing] * len(items)
            return [None] * len(items)  # no group, so no membership left to remove
        ids = await bounded_map(items, self._member_id, self.concurrency)
        outcomes: list[str | Exception | None] = [None] * len(items)
        ready: list[tuple[int, str]] = []
        for index, (item, member) in enumerate(zip(items, ids, strict=True)):
            if member is None and adding:
                label = self.flavour.label
                outcomes[index] = NotFoundError(f"add_member {item.subject}: {label} has no user {item.user}")
            elif member is not None:
                ready.append((index, member))
            # removing a user that does not exist: no membership left, the goal is reached
        if not ready:
            return outcomes
        try:
            await self._patch_members(gid, [member for _, member in ready], adding)
        except (BadRequestError, NotFoundError) as refused:
            if len(ready) == 1:
                outcomes[ready[0][0]] = refused
                return outcomes
            for index, member in ready:  # one at a time, for an outcome each
                try:
                    await self._patch_members(gid, [member], adding)
                except (BadRequestError, NotFoundError) as exc:
                    outcomes[index] = exc
        return outcomes

    async def _member_id(self, item: PlanItem) -> str | None:
        if item.user_key:
            return item.user_key
        if not item.user:
            return None
        return await user_id(self.wire, self.found, self.ids, item.user, self.page_size)

    async def _patch_members(self, gid: str, members: list[str], adding: bool) -> None:
        operations: list[Operation]
        if adding:
            operations = [("add", "members", [{"value": m} for m in members])]
        else:
            operations = [("remove", f"members[{eq_filter('value', m)}]", None) for m in members]
        await modify(self.wire, self.found.group_model, "/Groups", gid, operations, patch=self.found.patch)
