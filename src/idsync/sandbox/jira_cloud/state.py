"""The site's accounts and service desks, in memory, and their generation per seed.

Accounts are Atlassian accounts (licensed here: accountType "atlassian", 24-hex accountIds) or
portal-only customer accounts made by POST /customer (accountType "customer", accountIds
`qm:<uuid>:<uuid>`, as Cloud's examples show them).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from idsync.sandbox.common.names import FIRST_NAMES, LAST_NAMES
from idsync.sandbox.jira_cloud.options import JiraCloudOptions


@dataclass
class Account:
    """One account of the site."""

    account_id: str
    account_type: str
    """"atlassian" (licensed) or "customer" (portal-only)."""
    email: str
    display_name: str
    active: bool = True
    site_admin: bool = False


@dataclass
class Desk:
    """A service desk; `customers` holds accountIds."""

    id: int
    project_id: int
    project_key: str
    project_name: str
    open_access: bool = False
    customers: set[str] = field(default_factory=set)


@dataclass
class CloudState:
    """Everything the emulator holds."""

    accounts: dict[str, Account] = field(default_factory=dict)
    desks: dict[int, Desk] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def by_email(self, email: str) -> Account | None:
        """The account with this e-mail (case-insensitive), if any."""
        lowered = email.lower()
        return next((a for a in self.accounts.values() if a.email.lower() == lowered), None)

    def add_account(
        self, email: str, display_name: str, *, licensed: bool, site_admin: bool = False
    ) -> Account:
        """A new account: licensed (Atlassian) or portal-only (qm: customer)."""
        if licensed:
            account_id = f"{self.rng.getrandbits(96):024x}"
        else:
            first, second = (uuid.UUID(int=self.rng.getrandbits(128)) for _ in range(2))
            account_id = f"qm:{first}:{second}"
        account = Account(account_id, "atlassian" if licensed else "customer", email, display_name,
                          site_admin=site_admin)
        self.accounts[account_id] = account
        return account

    def dump(self) -> dict[str, Any]:
        """The state as JSON-ready data (GET /_sandbox/state)."""
        return {
            "accounts": [{"accountId": a.account_id, "accountType": a.account_type, "emailAddress": a.email,
                          "displayName": a.display_name, "active": a.active} for a in self.accounts.values()],
            "serviceDesks": [{"id": d.id, "projectKey": d.project_key, "customers": sorted(d.customers)}
                             for d in self.desks.values()],
        }


def generate(options: JiraCloudOptions, now: datetime) -> CloudState:
    """The initial state for `options` (same seed → same data)."""
    state = CloudState(rng=random.Random(options.seed))
    state.add_account(options.email, "Site Admin", licensed=True, site_admin=True)
    for n in range(options.accounts):
        first, last = state.rng.choice(FIRST_NAMES), state.rng.choice(LAST_NAMES)
        state.add_account(f"{first}.{last}{n}@example.com".lower(), f"{first} {last}", licensed=True)
    for number, key in enumerate(options.service_desks, start=1):
        state.desks[number] = Desk(number, 10000 + number, key, f"{key} Service Project",
                                   open_access=key in options.open_desks)
    return state
