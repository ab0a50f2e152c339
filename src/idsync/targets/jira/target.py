"""`JiraTarget`: the Target protocol (idsync.targets.base) for Jira Data Center REST v2."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from idsync.config.connections import JiraConnection
from idsync.domain.customers import AccountQuery, Accounts, ServiceDesk
from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState, UserRequirements
from idsync.targets.atlassian import token_or_basic_headers
from idsync.targets.jira.client import API, ServerInfo, UserRef, make_http
from idsync.targets.jira.state import StateReader
from idsync.targets.jira.writes import JiraWriter
from idsync.targets.jsm.accounts import DataCenterAccounts
from idsync.targets.jsm.client import make_desk_http
from idsync.targets.jsm.desks import CUSTOMER_ACTIONS, ServiceDesks
from idsync.targets.jsm.quirks import DATA_CENTER

JIRA_CAPABILITIES = Capabilities(
    user_properties=True,
    deactivate=True,
    delete=True,
    rename=True,
    leads=True,
    user_groups=True,  # GET /user?expand=groups lists the user's groups
    licence_seats=True,  # GET /applicationrole: seats per application role (targets/jira/seats.py)
    group_existence=True,  # GET /group/member?maxResults=1 answers 404 for a group Jira does not have
    # POST /user answers 400 without an e-mail address or a full name, for a field over 255
    # characters, and for '<', '>' or '&' in the username.
    requirements=UserRequirements(email=True, display_name=True, max_length=255, forbidden_in_username="<>&"),
)


class JiraTarget:
    """One Jira Data Center connection: reads state for the diff and executes plan items."""

    capabilities = JIRA_CAPABILITIES

    def __init__(
        self, name: str, conn: JiraConnection
    ) -> None:
        self.name = name
        self.url = conn.url
        self.max_concurrency = conn.concurrency
        self._member_page_size = conn.member_page_size
        self.http = make_http(conn)
        self._writer = JiraWriter(self.http)
        # Jira Service Management on the same server: servicedeskapi calls get a client of their own
        # (the opt-in header on every call), the user lookups go through the platform client.
        self.desks = ServiceDesks(
            name, make_desk_http(conn, token_or_basic_headers(conn)),
            DataCenterAccounts(self.http), DATA_CENTER, concurrency=conn.concurrency,
        )

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (for benchmarks and tests)."""
        return self.http.requests

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what `query` asks for; complete, or raises a ConnectorError."""
        reader = StateReader(self.http, self.name, self.max_concurrency, self._member_page_size)
        state = await reader.read(query, progress)
        if query.seats:
            self._writer.created_with(state.seats)  # the roles new users get (writes.py)
        return state

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item; returns the user key of a created (or linked) user, or the account of
        a service-desk customer item."""
        if item.action in CUSTOMER_ACTIONS:
            return await self.desks.execute(item)
        return await self._writer.execute(item)

    async def read_desks(self, keys: frozenset[str]) -> Mapping[str, ServiceDesk | None]:
        """Service desks by project key with their customers (Jira Service Management)."""
        return await self.desks.read_desks(keys)

    async def read_accounts(self, query: AccountQuery) -> Accounts:
        """Accounts that may become customers, with their application access."""
        return await self.desks.read_accounts(query)

    async def check(self) -> str:
        """Authenticate and identify the server: "Jira 9.12.5 at <url>: authenticated as admin"."""
        me = UserRef.model_validate_json((await self.http.request("GET", f"{API}/myself", ok=(200,))).content)
        info = ServerInfo.model_validate_json(
            (await self.http.request("GET", f"{API}/serverInfo", ok=(200,))).content
        )
        return f"Jira {info.version} at {self.url}: authenticated as {me.name or me.key or '?'}"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()
        await self.desks.http.aclose()
