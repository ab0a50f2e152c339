"""`JiraCloudTarget`: a Jira Cloud site as the connection of a profile's `service_desks`. It reads
service desks, their customers and accounts, and carries out the customer items; nothing else.

Cloud accounts and groups are provisioned through the organisation's SCIM directory (the
`atlassian_cloud` connection), so this is not a `targets:` entry: the configuration refuses it
there, and `read_state` refuses a user/group query for the same reason, instead of answering one with
an empty state that the diff would take for "no users".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from idsync.config.connections import JiraCloudConnection
from idsync.domain.customers import AccountQuery, Accounts, ServiceDesk
from idsync.domain.errors import BadRequestError, ConfigError
from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState
from idsync.targets.atlassian import basic_authorization, make_client
from idsync.targets.jsm.accounts import CLOUD_API, CloudAccounts
from idsync.targets.jsm.client import CloudUser, describe_platform, make_desk_http
from idsync.targets.jsm.desks import CUSTOMER_ACTIONS, ServiceDesks
from idsync.targets.jsm.quirks import CLOUD

JIRA_CLOUD_CAPABILITIES = Capabilities(deactivate=False, delete=False, rename=False)
"""Declared for the Target protocol only: no user or group item is ever planned for this connection."""


class JiraCloudTarget:
    """One Jira Cloud site (Basic auth: the account's e-mail and an API token)."""

    capabilities = JIRA_CLOUD_CAPABILITIES

    def __init__(
        self, name: str, conn: JiraCloudConnection
    ) -> None:
        self.name = name
        self.url = conn.url
        self.max_concurrency = conn.concurrency
        headers = {
            "Accept": "application/json",
            "Authorization": basic_authorization(conn.email, conn.api_token.get_secret_value()),
        }
        self.http = make_client(conn, headers, describe_platform)
        self.desks = ServiceDesks(
            name, make_desk_http(conn, headers), CloudAccounts(self.http), CLOUD,
            page_size=conn.page_size, concurrency=conn.concurrency,
        )

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far, by "METHOD path" (platform and servicedeskapi)."""
        return self.http.requests + self.desks.http.requests

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Refused: a Jira Cloud site is no `targets:` entry (its users come through SCIM)."""
        raise ConfigError(f"connection {self.name!r} (jira_cloud) holds service-desk customers only; users "
                          "and groups of Atlassian Cloud are synced through an atlassian_cloud connection")

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one customer item; returns the accountId it concerned."""
        if item.action not in CUSTOMER_ACTIONS:
            raise BadRequestError(
                f"{item.action} cannot be carried out on jira_cloud connection {self.name!r}"
            )
        return await self.desks.execute(item)

    async def read_desks(self, keys: frozenset[str]) -> Mapping[str, ServiceDesk | None]:
        """Service desks by project key with their customers."""
        return await self.desks.read_desks(keys)

    async def read_accounts(self, query: AccountQuery) -> Accounts:
        """Accounts that may become customers, and whether each is portal-only."""
        return await self.desks.read_accounts(query)

    async def check(self) -> str:
        """Authenticate and count the desks: "Jira Cloud at <url>: authenticated as …, 3 service desks"."""
        me = CloudUser.model_validate_json(
            (await self.http.request("GET", f"{CLOUD_API}/myself", ok=(200,))).content
        )
        desks = await self.desks.desk_ids()
        return (f"Jira Cloud at {self.url}: authenticated as {me.display_name or me.account_id}, "
                f"{len(desks)} service desks")

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()
        await self.desks.http.aclose()
