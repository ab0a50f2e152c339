"""`BitbucketTarget`: the Target protocol (idsync.targets.base) for Bitbucket Data Center REST 1.0.

A user's key is Bitbucket's numeric user id as a string: it survives renames (the username and slug
change, the id does not). Bitbucket has no deactivate, so the target declares `deactivate=False` and
`licence_groups=True`: the diff plans licence items, which are memberships of licence-granting groups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from idsync.config.connections import BitbucketConnection
from idsync.domain.errors import ConnectorError, TransientError
from idsync.domain.plan import Action, PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState
from idsync.targets.bitbucket.client import API, ApplicationProperties, Licence, make_http
from idsync.targets.bitbucket.quirks import AUTHENTICATED_AS
from idsync.targets.bitbucket.state import StateReader
from idsync.targets.bitbucket.writes import BitbucketWriter

BITBUCKET_CAPABILITIES = Capabilities(
    deactivate=False, licence_groups=True, user_properties=False, leads=False, rename=True, delete=True,
    licence_seats=True,  # GET /admin/license (targets/bitbucket/seats.py)
)


class BitbucketTarget:
    """One Bitbucket Data Center connection: reads state for the diff and executes plan items."""

    capabilities = BITBUCKET_CAPABILITIES

    def __init__(
        self, name: str, conn: BitbucketConnection
    ) -> None:
        self.name = name
        self.url = conn.url
        self.max_concurrency = conn.concurrency
        self._page_size = conn.page_size
        self.http = make_http(conn)
        self._writer = BitbucketWriter(self.http, conn.page_size)

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (for benchmarks and tests)."""
        return self.http.requests

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what `query` asks for; complete, or raises a ConnectorError that names the
        connection."""
        reader = StateReader(self.http, self.name, self.max_concurrency, self._page_size)
        try:
            return await reader.read(query, progress)
        except ConnectorError as exc:
            raise _named(exc, self.name) from exc

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item; returns the user key of a created (or linked) user."""
        return await self._writer.execute(item)

    max_batch = 100
    """Users per `add-users` request: small enough for any proxy's body limit, large enough that a
    group's members take a handful of requests instead of one each."""

    def batch_key(self, item: PlanItem) -> Hashable | None:
        """Memberships added to one group go together (`POST /admin/groups/add-users`)."""
        if item.action in (Action.ADD_MEMBER, Action.RESTORE_LICENCE) and item.group and item.user:
            return ("add-users", item.group.lower())
        return None

    async def execute_batch(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        """Add several users to one group in one request; an outcome per item."""
        return await self._writer.add_users(items)

    async def check(self) -> str:
        """Authenticate and identify the server: "Bitbucket 9.4.3 at <url>: authenticated as admin"
        (and the licence's user tier)."""
        try:
            # an admin route: proves the account may administer users, and names it in X-AUSERNAME
            probe = await self.http.request(
                "GET", f"{API}/admin/users", params={"limit": 1}, ok=(200,), label=f"{API}/admin/users"
            )
            props = ApplicationProperties.model_validate_json(
                (await self.http.request("GET", f"{API}/application-properties", ok=(200,))).content
            )
            answer = await self.http.request("GET", f"{API}/admin/license", ok=(200, 404))
        except ConnectorError as exc:
            raise _named(exc, self.name) from exc
        who = probe.headers.get(AUTHENTICATED_AS) or "?"
        seats = "none installed"  # a 404: no licence installed
        if answer.status_code == 200:
            licence = Licence.model_validate_json(answer.content)
            seats = (
                "unlimited users"
                if licence.unlimited or licence.maximum is None
                else f"{licence.maximum} users"
            )
        return f"Bitbucket {props.version} at {self.url}: authenticated as {who} (licence: {seats})"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()


def _named(exc: ConnectorError, connection: str) -> ConnectorError:
    """The same error type, its message prefixed with the connection, so a failed run says which one."""
    if str(exc).startswith(f"connection {connection!r}"):
        return exc
    named = type(exc)(f"connection {connection!r} (bitbucket): {exc}", status=exc.status,
                      retry_after=exc.retry_after)  # fmt: skip
    if isinstance(exc, TransientError) and isinstance(named, TransientError):
        named.unsent = exc.unsent
    return named
