"""`CrowdTarget`: the Target protocol (idsync.targets.base) for Atlassian Crowd's usermanagement API.

A Crowd user's `key` (`<directory id>:<id>`) is its immutable id: it survives renames, and GET /user
accepts it, so links hold it. Writes address users by name, as Crowd's write resources require.
"""

from __future__ import annotations

from collections import Counter

from idsync.config.connections import CrowdConnection
from idsync.domain.errors import ConnectorError, TransientError
from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState
from idsync.targets.crowd.client import API, NameList, make_http
from idsync.targets.crowd.state import PAGE_SIZE, StateReader
from idsync.targets.crowd.writes import CrowdWriter

CROWD_CAPABILITIES = Capabilities(
    user_properties=True,  # custom attributes are written as Crowd user attributes
    deactivate=True,  # PUT /user with "active": false
    delete=True,
    rename=True,  # POST /user/rename
    leads=False,
    licence_groups=False,
    user_groups=True,  # GET /user/group/direct?username= lists the user's direct groups
)


class CrowdTarget:
    """One Crowd connection: reads state for the diff and executes plan items."""

    capabilities = CROWD_CAPABILITIES

    def __init__(
        self,
        name: str,
        conn: CrowdConnection,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.name = name
        self.url = conn.url
        self.application = conn.application
        self.max_concurrency = conn.concurrency
        self._page_size = page_size
        self.http = make_http(conn)
        self._writer = CrowdWriter(self.http)

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (for benchmarks and tests)."""
        return self.http.requests

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what `query` asks for; complete, or raises a ConnectorError."""
        reader = StateReader(self.http, self.name, self.max_concurrency, self._page_size)
        try:
            return await reader.read(query, progress)
        except ConnectorError as exc:
            raise self._named(exc) from exc

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item; returns the user key of a created (or linked) user."""
        return await self._writer.execute(item)

    async def check(self) -> str:
        """Authenticate and prove read access with a one-result user search. Crowd's usermanagement
        API reports no server version, so the line names the URL and the application only."""
        try:
            response = await self.http.request(
                "GET", f"{API}/search", params={"entity-type": "user", "max-results": 1}, ok=(200,)
            )
        except ConnectorError as exc:
            raise self._named(exc) from exc
        NameList.model_validate_json(response.content)
        return f"Crowd at {self.url}: authenticated as application {self.application}"

    def _named(self, exc: ConnectorError) -> ConnectorError:
        """The same error type with the connection named first: a failed read fails the whole run,
        and its message must say which connection it was."""
        named = type(exc)(
            f"Crowd connection {self.name!r}: {exc}", status=exc.status, retry_after=exc.retry_after
        )
        if isinstance(exc, TransientError) and isinstance(named, TransientError):
            named.unsent = exc.unsent
        return named

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()
