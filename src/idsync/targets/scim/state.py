"""Reading what the diff needs from a SCIM server: users (by id, userName or e-mail) with their
custom attributes, managed groups with their members, groups by the source id stored as their
`externalId`, and (where the target has a user limit) how many users it holds.

A SCIM group lists its members by user id, so turning members into usernames needs the users. When
groups are read, `/Users` is paged through once at the largest page the server allows, and that one
listing also answers every user lookup of the query; never one request per member. Without groups,
a few users are read one request each (`GET /Users/{id}`, `userName eq`, `emails.value eq`), and many
(or e-mails on a server that cannot filter by them) by the same single listing.

A read is complete or it raises (a failed page is never "fewer users"). Usernames and group names
compare case-insensitively (SCIM's userName and displayName are caseExact false); group members are
reported case-folded, as `TargetState` asks.
"""

from __future__ import annotations

from typing import Any, cast

from scim2_models import Path

from idsync.domain.errors import NotFoundError
from idsync.domain.progress import Progress
from idsync.domain.records import StateQuery, TargetState, TargetUser
from idsync.targets.jira.state import bounded_map
from idsync.targets.scim.client import CHECKED, ScimWire, unreadable
from idsync.targets.scim.discovery import CustomAttribute, Discovery
from idsync.targets.scim.flavour import Flavour
from idsync.targets.scim.lookup import Ids, count, find, list_all

FULL_LISTING_AFTER = 50
"""More user lookups than this read the whole user list instead of one request each."""

USER_ATTRIBUTES = ["userName", "externalId", "displayName", "emails", "active"]
"""What a user read asks for (`attributes=`), plus the custom attributes: less to send and check."""


def user_email(resource: Any) -> str | None:
    """The primary e-mail of a SCIM user (else its first one)."""
    emails = list(resource.emails or [])
    chosen = next((e for e in emails if e.primary), emails[0] if emails else None)
    return str(chosen.value) if chosen is not None and chosen.value else None


def property_value(model: type[Any], resource: Any, attribute: CustomAttribute) -> str | None:
    """A custom attribute's value as idsync compares it: a string, None when unset or empty."""
    value = cast(Any, Path)[model](attribute.full_path).get(resource, strict=False)
    if value is None or value == "":
        return None
    return str(value)


class StateReader:
    """One `read_state` call against one SCIM connection."""

    def __init__(
        self, wire: ScimWire, found: Discovery, flavour: Flavour, ids: Ids, target: str, concurrency: int,
        page_size: int,
    ) -> None:
        self.wire = wire
        self.found = found
        self.flavour = flavour
        self.ids = ids
        self.target = target
        self.concurrency = concurrency
        self.page_size = page_size
        self._everyone: dict[str, Any] | None = None
        self._total: int | None = None
        self._attributes: list[CustomAttribute] = []

    async def read(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read everything `query` asks for (see StateQuery)."""
        self._attributes = [self.found.attribute(key) for key in sorted(query.property_keys)]
        if self._needs_listing(query):
            await self._list_users(progress)
        users = await self._users(query, progress)
        groups, sources = await self._groups(query, progress)
        user_count = None
        if self.flavour.max_users is not None:
            user_count = self._total
            if user_count is None:
                user_count = await count(self.wire, self.found.user_model)
        return TargetState(
            target=self.target,
            users={key: self._target_user(resource) for key, resource in users.items()},
            groups=groups,
            group_sources=sources,
            user_count=user_count,
        )

    # --- users -----------------------------------------------------------------------------------

    def _needs_listing(self, query: StateQuery) -> bool:
        if query.groups or query.group_sources:
            return True
        lookups = len(query.usernames) + len(query.emails)
        if not lookups and not query.user_keys:
            return False
        if len(query.user_keys) + lookups > FULL_LISTING_AFTER:
            return True
        if lookups and not self.found.filter:
            return True
        return bool(query.emails) and not self.flavour.filters_users_by("emails.value")

    async def _list_users(self, progress: Progress) -> None:
        bar = progress.task(f"{self.target}: users", total=None)
        resources, total = await list_all(
            self.wire, self.found.user_model, self.page_size, endpoint="/Users",
            attributes=[*USER_ATTRIBUTES, *(a.full_path for a in self._attributes)],
        )  # fmt: skip
        bar.advance(len(resources))
        self._everyone = {str(r.id): r for r in resources if r.id}
        self._total = total
        for resource in self._everyone.values():
            self.ids.user(str(resource.user_name), str(resource.id))

    async def _users(self, query: StateQuery, progress: Progress) -> dict[str, Any]:
        names = {n.casefold() for n in query.usernames}
        emails = {e.casefold() for e in query.emails}
        if self._everyone is not None:
            return {
                rid: r for rid, r in self._everyone.items()
                if rid in query.user_keys or str(r.user_name).casefold() in names
                or any(str(e.value).casefold() in emails for e in (r.emails or []) if e.value)
            }  # fmt: skip
        found: dict[str, Any] = {}
        bar = progress.task(f"{self.target}: users", total=len(query.user_keys) + len(names) + len(emails))
        for resource in await bounded_map(sorted(query.user_keys), self._by_id, self.concurrency, bar):
            if resource is not None:
                found[str(resource.id)] = resource
        lookups = [("userName", n) for n in sorted(names)] + [("emails.value", e) for e in sorted(emails)]
        for (attribute, value), hits in zip(
            lookups, await bounded_map(lookups, self._search, self.concurrency, bar), strict=True
        ):
            for resource in hits:
                if attribute == "userName" and str(resource.user_name).casefold() != value:
                    continue  # a server that matches more loosely than eq
                if attribute == "emails.value" and not any(
                    str(e.value).casefold() == value for e in (resource.emails or []) if e.value
                ):
                    continue
                found[str(resource.id)] = resource
        for resource in found.values():
            self.ids.user(str(resource.user_name), str(resource.id))
        return found

    async def _by_id(self, resource_id: str) -> Any | None:
        try:
            return await self.wire.query(
                self.found.user_model, resource_id,
                query_parameters={"attributes": [*USER_ATTRIBUTES, *(a.full_path for a in self._attributes)]},
                label="/Users/{id}",
            )  # fmt: skip
        except NotFoundError:
            return None  # the linked user is gone: the diff re-creates or drops the link
        except CHECKED as exc:
            raise unreadable(f"GET /Users/{resource_id}", exc) from exc

    async def _search(self, lookup: tuple[str, str]) -> list[Any]:
        attribute, value = lookup
        return await find(self.wire, self.found.user_model, "/Users", attribute, value, self.page_size)

    def _target_user(self, resource: Any) -> TargetUser:
        model = self.found.user_model
        return TargetUser(
            key=str(resource.id),
            username=str(resource.user_name),
            email=user_email(resource),
            display_name=str(resource.display_name) if resource.display_name else None,
            # a server that does not return `active` has no deactivation: its users count as active
            active=resource.active is not False,
            properties={a.key: property_value(model, resource, a) for a in self._attributes},
        )

    # --- groups ----------------------------------------------------------------------------------

    async def _groups(
        self, query: StateQuery, progress: Progress
    ) -> tuple[dict[str, frozenset[str] | None], dict[str, str]]:
        if not query.groups and not query.group_sources:
            return {}, {}
        bar = progress.task(f"{self.target}: groups", total=len(query.groups) + len(query.group_sources))
        by_name: dict[str, Any] = {}
        by_source: dict[str, Any] = {}
        by_external = self.found.filter and self.flavour.filters_groups_by("externalId")
        if query.group_sources and not by_external:
            # the server cannot find a group by externalId: one listing answers names and ids alike
            everything, _ = await list_all(
                self.wire, self.found.group_model, self.page_size, endpoint="/Groups"
            )
            for group in everything:
                by_name.setdefault(str(group.display_name).casefold(), group)
                if group.external_id:
                    by_source.setdefault(str(group.external_id), group)
            bar.advance(len(query.groups) + len(query.group_sources))
        else:
            names = sorted(query.groups)
            for name, hits in zip(names, await bounded_map(
                names, lambda n: self._group_search("displayName", n), self.concurrency, bar), strict=True
            ):  # fmt: skip
                match = next((g for g in hits if str(g.display_name).casefold() == name.casefold()), None)
                if match is not None:
                    by_name[name.casefold()] = match
            sources = sorted(query.group_sources)
            for sid, hits in zip(sources, await bounded_map(
                sources, lambda s: self._group_search("externalId", s), self.concurrency, bar), strict=True
            ):  # fmt: skip
                match = next((g for g in hits if str(g.external_id) == sid), None)
                if match is not None:
                    by_source[sid] = match
        for group in [*by_name.values(), *by_source.values()]:
            self.ids.group(str(group.display_name), str(group.id))

        groups: dict[str, frozenset[str] | None] = {}
        for name in sorted(query.groups):
            group = by_name.get(name.casefold())
            groups[name] = None if group is None else await self._members(group)
        wanted = {name.casefold() for name in query.groups}
        sources_out: dict[str, str] = {}
        for sid in sorted(query.group_sources):
            group = by_source.get(sid)
            if group is None:
                continue
            current = str(group.display_name)
            sources_out[sid] = current
            if current.casefold() not in wanted:
                groups[current] = await self._members(group)  # the rename's old name: its members move
        return groups, sources_out

    async def _group_search(self, attribute: str, value: str) -> list[Any]:
        return await find(self.wire, self.found.group_model, "/Groups", attribute, value, self.page_size)

    async def _members(self, group: Any) -> frozenset[str]:
        """The group's user members as case-folded usernames (nested groups are not users)."""
        assert self._everyone is not None  # groups in the query always list the users first
        ids = [str(m.value) for m in (group.members or []) if m.value and str(m.type or "User") != "Group"]
        names: set[str] = set()
        strays: list[str] = []
        for member in ids:
            user = self._everyone.get(member)
            if user is None:
                strays.append(member)
            else:
                names.add(str(user.user_name).casefold())
        # created after the listing (or a server that lists fewer users than groups show): read them
        for user in await bounded_map(strays, self._by_id, self.concurrency):
            if user is not None:
                self._everyone[str(user.id)] = user
                names.add(str(user.user_name).casefold())
        return frozenset(names)
