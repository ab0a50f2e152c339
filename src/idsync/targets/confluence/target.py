"""`ConfluenceTarget`: the Target protocol (idsync.targets.base) for Confluence Data Center REST.

The user key is Confluence's `userKey` (32 hex digits, never changes); writes address users by
username, which Confluence's REST API cannot change (so `rename` is off). Custom attributes have no
place in Confluence (`user_properties` off), and there are no leads.

Which endpoints exist depends on the release (quirks.py). The release is read once per target from
the application-links manifest; a read or an item that needs an endpoint the release lacks stops the
sync with a StopSyncError naming the release and the endpoint, and `check()` refuses the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from idsync.config.connections import ConfluenceConnection
from idsync.domain.errors import ConnectorError, StopSyncError
from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState
from idsync.targets.confluence import quirks
from idsync.targets.confluence.client import API, MANIFEST, Manifest, Person, make_http
from idsync.targets.confluence.seats import read_pool
from idsync.targets.confluence.state import StateReader
from idsync.targets.confluence.writes import ConfluenceWriter

CONFLUENCE_CAPABILITIES = Capabilities(
    user_properties=False, deactivate=True, delete=True, rename=False, leads=False, licence_groups=False,
    user_groups=True,  # GET /user/memberof lists the user's direct groups
    licence_seats=True,  # /rest/license/1.0/license/remainingSeats (targets/confluence/seats.py)
)
DELETE_TASK_TIMEOUT = 120.0
"""Seconds to wait for a user deletion's long task before reporting it as still running."""


class ConfluenceTarget:
    """One Confluence Data Center connection: reads state for the diff and executes plan items."""

    capabilities = CONFLUENCE_CAPABILITIES

    def __init__(
        self,
        name: str,
        conn: ConfluenceConnection,
        *,
        task_timeout: float = DELETE_TASK_TIMEOUT,
    ) -> None:
        self.name = name
        self.url = conn.url
        self.max_concurrency = conn.concurrency
        self._page_size = conn.page_size
        self.http = make_http(conn)
        self._writer = ConfluenceWriter(self.http, task_timeout)
        self._version: tuple[str, quirks.Release] | None = None

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (for benchmarks and tests)."""
        return self.http.requests

    async def version(self) -> str:
        """The server's version (read once from the application-links manifest)."""
        if self._version is None:
            response = await self.http.request("GET", MANIFEST, ok=(200,))
            text = response.text.lstrip()
            if text.startswith("<"):  # a server that answers XML whatever Accept says
                version, type_id = quirks.xml_field(text, "version"), quirks.xml_field(text, "typeId")
                if version is None:
                    raise ConnectorError(f"GET {MANIFEST}: the manifest names no <version>")
            else:
                manifest = Manifest.model_validate_json(response.content)
                version, type_id = manifest.version, manifest.type_id
            if type_id is not None and type_id.lower() != "confluence":
                raise StopSyncError(f"{self.url} is not Confluence: its manifest says typeId {type_id!r}")
            self._version = (version, quirks.release_of(version))
        return self._version[0]

    async def _require(self, endpoints: Iterable[quirks.Endpoint]) -> None:
        version = await self.version()
        assert self._version is not None
        lacking = quirks.missing(self._version[1], endpoints)
        if lacking:
            raise StopSyncError(quirks.refusal(version, self.url, lacking))

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what `query` asks for; complete, or raises a ConnectorError."""
        try:
            await self._require([quirks.LIST_USERS] if query.emails else [])
            reader = StateReader(self.http, self.name, self.max_concurrency, self._page_size)
            state = await reader.read(query, progress)
            if query.seats:
                pools, unread = await read_pool(self.http)
                state = replace(state, seats=pools, seats_unread=unread)
            return state
        except ConnectorError as exc:
            # a failed read fails the run: its message must say which connection failed
            raise type(exc)(f"Confluence connection {self.name!r}: {exc}", status=exc.status) from exc

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item; returns the user key of a created (or linked) user."""
        endpoint = quirks.FOR_ACTION.get(item.action)
        await self._require([endpoint] if endpoint is not None else [])
        return await self._writer.execute(item)

    async def check(self) -> str:
        """Authenticate and identify: "Confluence 8.5.4 at <url>: authenticated as admin"; refuses a
        release without an endpoint idsync uses."""
        response = await self.http.request("GET", f"{API}/user/current", ok=(200,))
        me = Person.model_validate_json(response.content)
        if me.type != "known" or not me.username:
            raise StopSyncError(
                f"Confluence at {self.url} sees the connection as anonymous: set a token or password"
            )
        await self._require(quirks.ALL_ENDPOINTS)
        return f"Confluence {await self.version()} at {self.url}: authenticated as {me.username}"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()
