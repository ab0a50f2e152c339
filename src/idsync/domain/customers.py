"""Portal customers of Jira Service Management service desks: what the rules want, what the
service desks hold, what idsync remembers having done, and the contract of the connection that reads
them (Jira Data Center through its servicedeskapi, or a Jira Cloud site).

A customer is addressed by an *account*: the username on Data Center (servicedeskapi takes
`usernames`), the accountId on Cloud (`accountIds`). Portal-only accounts are the only ones idsync
turns into customers or takes off a desk: anyone with application access (an agent, a licensed user)
is reported in a note and left alone, because adding such a user to a desk's customers changes what a
paying seat can see, and removing one could lock an agent out of a queue they work in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from idsync.domain.records import Reason


@dataclass(frozen=True, slots=True)
class DesiredCustomer:
    """A person the rules make a portal customer of one or more service desks."""

    source_id: str
    email: str
    display_name: str | None
    desks: Mapping[str, Reason]
    """Project key of the service desk → why (the mapped source group)."""


@dataclass(frozen=True, slots=True)
class DesiredCustomers:
    """The rules' verdict for the service desks of one profile."""

    customers: Mapping[str, DesiredCustomer]
    """Keyed by source id."""
    desks: frozenset[str]
    """Every project key the mapping names."""
    held: frozenset[str] = frozenset()
    """Desks whose customers must not be removed this run: a source group mapped to them was missing
    from the read (a missing group is never taken for an empty one)."""
    hands_off: frozenset[str] = frozenset()
    """Source ids still in the source that no item may touch (skipped, disputed, protected)."""
    single_user: str | None = None
    notes: tuple[str, ...] = ()
    pending: frozenset[str] = frozenset()
    """Source ids the same plan creates a user for in the service-desk connection (it is also one of
    the profile's targets): their account is judged by the next run, once it exists, instead of a
    customer account being created beside it."""


@dataclass(frozen=True, slots=True)
class ServiceDesk:
    """One service desk as the server reports it."""

    key: str
    """Project key."""
    id: str
    """serviceDeskId (a string of digits)."""
    name: str
    customers: frozenset[str] | None
    """Accounts of its customers; None when the server offers no way to list them (Data Center
    documents only POST on a desk's customers): then idsync cannot verify, nor remove."""


@dataclass(frozen=True, slots=True)
class CustomerAccount:
    """An account that may be, or become, a portal customer."""

    account: str
    email: str | None
    display_name: str | None
    licensed: bool
    """Has application access (an agent or a licensed user): never made a customer, never removed."""
    detail: str = ""
    """Why it counts as licensed (e.g. "application access: jira-servicedesk"), for notes."""


@dataclass(frozen=True, slots=True)
class AccountQuery:
    """Accounts the diff needs to see: by e-mail (lower-case) and by account."""

    emails: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Accounts:
    """What the server reported for an `AccountQuery`."""

    by_email: Mapping[str, tuple[CustomerAccount, ...]] = field(default_factory=dict)
    """Lower-case e-mail → the accounts with exactly that address (none: nobody has it)."""
    by_account: Mapping[str, CustomerAccount] = field(default_factory=dict)
    """Queried accounts that exist (a missing one does not)."""


@dataclass(frozen=True, slots=True)
class CustomerLink:
    """A customer idsync manages: which account, and the desks idsync itself added it to. Only those
    desks are ever taken away again; memberships an admin gave are not idsync's to remove."""

    source_id: str
    account: str
    email: str
    desks: frozenset[str]


@runtime_checkable
class CustomerDirectory(Protocol):
    """A connection that holds service-desk customers (Jira DC's target, the Jira Cloud site). Reads
    are complete or raise a ConnectorError; the items (CREATE_CUSTOMER, ADD_CUSTOMER,
    REMOVE_CUSTOMER) are executed through the target's `execute`."""

    name: str

    async def read_desks(self, keys: frozenset[str]) -> Mapping[str, ServiceDesk | None]:
        """The desks of these project keys with their customers; None for a key with no desk."""
        ...

    async def read_accounts(self, query: AccountQuery) -> Accounts:
        """The accounts of the query's e-mails and accounts, with whether each is licensed."""
        ...
