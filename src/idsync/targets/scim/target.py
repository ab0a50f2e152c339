"""`ScimTarget`: the Target and BatchingTarget protocols (idsync.targets.base) for a SCIM 2.0 server.

A user's key is its SCIM `id` (server-assigned, immutable, RFC 7643 §3.1). The server is discovered
once per connection, before the first read or write (discovery.py), and what it publishes decides
PATCH or PUT, page sizes and which custom attributes exist. What discovery cannot tell comes from the
`Flavour` (flavour.py): the generic one, or Atlassian Cloud's (idsync.targets.cloud).

Memberships of one group are batched: the items that add (or remove) members of the same group go in
one PATCH, up to `max_batch` members.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace

from idsync.config.connections import AtlassianCloudConnection, ScimConnection
from idsync.domain.errors import ConnectorError
from idsync.domain.plan import Action, PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import StateQuery, TargetState
from idsync.targets.scim.client import ScimWire, make_http
from idsync.targets.scim.discovery import Discovery, discover
from idsync.targets.scim.flavour import GENERIC, Flavour
from idsync.targets.scim.group_writes import GroupWriter
from idsync.targets.scim.lookup import Ids, count
from idsync.targets.scim.state import StateReader
from idsync.targets.scim.writes import UserWriter

_GROUP_ACTIONS = frozenset({Action.CREATE_GROUP, Action.RENAME_GROUP, Action.DELETE_GROUP,
                            Action.ADD_MEMBER, Action.REMOVE_MEMBER})


class ScimTarget:
    """One SCIM connection: reads state for the diff and executes plan items."""

    max_batch = 100
    """Members per PATCH: a handful of requests for a large group, and a body every server takes."""

    def __init__(
        self,
        name: str,
        conn: ScimConnection | AtlassianCloudConnection,
        *,
        flavour: Flavour = GENERIC,
        custom_attributes: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.url = conn.url
        self.flavour = flavour
        self.capabilities = flavour.capabilities()
        self.max_concurrency = conn.concurrency
        self.custom_attributes = frozenset(custom_attributes)
        """The custom attribute keys the profiles using this target write (checked by `check`)."""
        self._page_size = conn.page_size
        self.http = make_http(conn, conn.token.get_secret_value())
        self.wire = ScimWire(self.http)
        self.ids = Ids()
        self._found: Discovery | None = None
        self._discovering = asyncio.Lock()

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (for benchmarks and tests)."""
        return self.http.requests

    async def discovery(self) -> Discovery:
        """What the server published (read once, on first use)."""
        async with self._discovering:
            if self._found is None:
                try:
                    self._found = await discover(self.wire)
                except ConnectorError as exc:
                    raise _named(exc, self.name, self.flavour) from exc
            return self._found

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what `query` asks for; complete, or raises a ConnectorError naming the
        connection (a custom attribute the server lacks: a ConfigError naming it)."""
        found = await self.discovery()
        reader = StateReader(self.wire, found, self.flavour, self.ids, self.name, self.max_concurrency,
                             found.page_size(self._page_size))  # fmt: skip
        try:
            return await reader.read(query, progress)
        except ConnectorError as exc:
            raise _named(exc, self.name, self.flavour) from exc

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item; returns the SCIM id of a created (or adopted) user."""
        if item.action in _GROUP_ACTIONS:
            await (await self._groups()).execute(item)
            return None
        return await (await self._users()).execute(item)

    def batch_key(self, item: PlanItem) -> Hashable | None:
        """Members added to (or removed from) one group go together in one PATCH."""
        if item.action in (Action.ADD_MEMBER, Action.REMOVE_MEMBER) and item.group:
            return (item.action.value, item.group.casefold())
        return None

    async def execute_batch(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        """Change several memberships of one group in one request; an outcome per item."""
        return await (await self._groups()).members(items)

    async def check(self) -> str:
        """Discover the server and say what it supports: "SCIM 2.0 at <url>: PATCH; filters, up to 1000
        results; User extensions: …; 12 users". A custom attribute key the server has no attribute
        for is a ConfigError naming it and the valid ones."""
        found = await self.discovery()
        where = f"users.custom_attributes of profiles targeting {self.name!r}"
        found.check_keys(self.custom_attributes, where)
        try:
            users = await count(self.wire, found.user_model)
        except ConnectorError as exc:
            raise _named(exc, self.name, self.flavour) from exc
        return f"{self.flavour.label} at {self.url}: {found.summary()}; {users} users"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()

    async def _users(self) -> UserWriter:
        found = await self.discovery()
        return UserWriter(self.wire, found, self.flavour, self.ids, found.page_size(self._page_size))

    async def _groups(self) -> GroupWriter:
        found = await self.discovery()
        return GroupWriter(self.wire, found, self.flavour, self.ids, found.page_size(self._page_size),
                           self.max_concurrency)  # fmt: skip


def _named(exc: ConnectorError, connection: str, flavour: Flavour) -> ConnectorError:
    """The same error type, its message prefixed with the connection, so a failed run says which one."""
    if str(exc).startswith(f"connection {connection!r}"):
        return exc
    named = type(exc)(f"connection {connection!r} ({flavour.label}): {exc}", status=exc.status,
                      retry_after=exc.retry_after)  # fmt: skip
    return named


def generic_flavour(conn: ScimConnection) -> Flavour:
    """The generic flavour with what the connection says discovery cannot (`group_rename`)."""
    return replace(GENERIC, group_rename=conn.group_rename)
