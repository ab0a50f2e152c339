"""`ServiceDesks`: the servicedeskapi half of a connection (Data Center's Jira target, the Jira
Cloud site): reads a mapping's desks and their customers, finds accounts, and carries out the
customer items. The `Flavour` (quirks.py) holds every Data Center / Cloud difference.

Reads are complete or raise. A desk's customer list that the server does not offer (Data Center
documents only POST on it; a server without it answers 405) is reported as unknown (`None`), never as
"no customers": the diff then adds customers but removes none.

Writes treat "already so" as done, as the API does: adding a customer already on the desk and
removing one who is not both answer 204. Creating a customer whose e-mail is taken adopts the
portal-only account that has it (a run between our read and our write made it); a licensed account
with that e-mail is refused, since it must not become a customer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from idsync.domain.customers import AccountQuery, Accounts, CustomerAccount, ServiceDesk
from idsync.domain.errors import BadRequestError, ConfigError, ConnectorError
from idsync.domain.plan import Action, PlanItem
from idsync.http import HttpClient
from idsync.targets.jira.state import bounded_map
from idsync.targets.jsm.accounts import AccountLookup
from idsync.targets.jsm.client import API, DeskDto, UserDto, pages
from idsync.targets.jsm.quirks import Flavour

CUSTOMER_ACTIONS = frozenset({Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER, Action.REMOVE_CUSTOMER})
NOT_OFFERED = frozenset({405})
"""Statuses that mean "this server has no such operation" (Jersey answers 405 for a method a path
lacks): Data Center's GET and DELETE on a desk's customers."""


class ServiceDesks:
    """The servicedeskapi calls of one connection."""

    def __init__(
        self, name: str, desk_http: HttpClient, lookup: AccountLookup, flavour: Flavour, *,
        page_size: int = 50, concurrency: int = 4,
    ) -> None:
        self.name = name
        self.http = desk_http
        self.lookup = lookup
        self.flavour = flavour
        self.page_size = page_size
        self.concurrency = concurrency
        self._desks: dict[str, DeskDto] | None = None
        self._made: dict[str, str] = {}
        """E-mail (lower-case) → account of customers created (or adopted) in this run, for the
        ADD_CUSTOMER items that follow (a Cloud accountId is only known once created)."""
        self._lock = asyncio.Lock()

    # --- reads ---------------------------------------------------------------------------------

    async def desk_ids(self) -> dict[str, DeskDto]:
        """Project key → every desk the connection's account can see (read once per run)."""
        async with self._lock:
            if self._desks is None:
                found: dict[str, DeskDto] = {}
                listing = pages(self.http, f"{API}/servicedesk", self.page_size, f"{API}/servicedesk")
                async for values in listing:
                    for value in values:
                        desk = DeskDto.model_validate(value)
                        found[desk.project_key] = desk
                self._desks = found
            return self._desks

    async def read_desks(self, keys: frozenset[str]) -> Mapping[str, ServiceDesk | None]:
        """The desks of `keys` with their customers; a key with no desk is a ConfigError naming it
        and the desks there are (a typo must not read as "a desk without customers")."""
        ids = await self.desk_ids()
        unknown = sorted(keys - set(ids))
        if unknown:
            raise ConfigError(
                f"service_desks.mapping names project key(s) {', '.join(unknown)} with no service desk in "
                f"{self.name!r}; service desks there: {', '.join(sorted(ids)) or '(none)'}"
            )
        desks = await bounded_map(sorted(keys), lambda key: self._desk(ids[key]), self.concurrency)
        return {desk.key: desk for desk in desks}

    async def _desk(self, desk: DeskDto) -> ServiceDesk:
        path = f"{API}/servicedesk/{desk.id}/customer"
        customers: set[str] = set()
        try:
            async for values in pages(self.http, path, self.page_size, f"{API}/servicedesk/{{id}}/customer"):
                for value in values:
                    account = self.flavour.account_of(UserDto.model_validate(value))
                    if account is not None:
                        customers.add(account)
        except BadRequestError as error:
            if error.status not in NOT_OFFERED:
                raise
            return ServiceDesk(desk.project_key, desk.id, desk.project_name, None)
        return ServiceDesk(desk.project_key, desk.id, desk.project_name, frozenset(customers))

    async def read_accounts(self, query: AccountQuery) -> Accounts:
        """The accounts of the query's e-mails and accounts."""
        emails = sorted(query.emails)
        accounts = sorted(query.accounts)
        by_email = await bounded_map(emails, self.lookup.by_email, self.concurrency)
        by_account = await bounded_map(accounts, self.lookup.by_account, self.concurrency)
        return Accounts(
            by_email=dict(zip(emails, by_email, strict=True)),
            by_account={a: found for a, found in zip(accounts, by_account, strict=True) if found is not None},
        )

    # --- writes --------------------------------------------------------------------------------

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one customer item; returns the account it concerned (the link records it)."""
        email = item.user
        if not email:
            raise BadRequestError(f"{item.action} item has no customer e-mail")
        if item.action is Action.CREATE_CUSTOMER:
            return await self._create(item, email)
        desk_key = item.group
        if not desk_key:
            raise BadRequestError(f"{item.action} item names no service desk")
        ids = await self.desk_ids()
        if desk_key not in ids:
            raise BadRequestError(f"no service desk for project {desk_key} in {self.name!r}")
        path = f"{API}/servicedesk/{ids[desk_key].id}/customer"
        label = f"{API}/servicedesk/{{id}}/customer"
        if item.action is Action.ADD_CUSTOMER:
            account = item.user_key or await self._account_for(email)
            await self.http.request("POST", path, json={self.flavour.accounts_field: [account]},
                                    ok=(200, 204), label=label)
            return account
        if item.action is Action.REMOVE_CUSTOMER:
            if not item.user_key:
                raise BadRequestError(f"remove_customer of {email} names no account")
            await self.http.request("DELETE", path, json={self.flavour.accounts_field: [item.user_key]},
                                    ok=(200, 204), label=label)
            return item.user_key
        raise BadRequestError(f"{item.action} is not a service-desk customer action")

    async def _create(self, item: PlanItem, email: str) -> str:
        display = next((str(c.new) for c in item.changes if c.field == "display_name" and c.new), None)
        try:
            response = await self.http.request(
                "POST", f"{API}/customer", params=dict(self.flavour.create_params),
                json=self.flavour.create_body(email, display), ok=(200, 201), label=f"{API}/customer",
            )
        except ConnectorError as error:
            if not self.flavour.taken(error):
                raise
            account = await self._adopt(email, error)
        else:
            found = self.flavour.account_of(UserDto.model_validate_json(response.content))
            if found is None:
                raise BadRequestError(f"POST {API}/customer answered without an account for {email}")
            account = found
        self._made[email.casefold()] = account
        return account

    async def _adopt(self, email: str, error: ConnectorError) -> str:
        accounts = await self.lookup.by_email(email)
        portal = [a for a in accounts if not a.licensed]
        if len(accounts) == 1 and portal:
            return portal[0].account
        raise BadRequestError(f"{error}; and the account(s) with e-mail {email} cannot be made a customer: "
                              f"{_describe(accounts)}")

    async def _account_for(self, email: str) -> str:
        """The account to add for an item planned before it existed: the one created this run, else
        on Data Center the e-mail itself (its servicedeskapi resolves usernames, then e-mails),
        else (Cloud) the portal-only account found by e-mail."""
        made = self._made.get(email.casefold())
        if made is not None:
            return made
        if self.flavour.accounts_field == "usernames":
            return email
        accounts = await self.lookup.by_email(email)
        if len(accounts) == 1 and not accounts[0].licensed:
            return accounts[0].account
        raise BadRequestError(f"cannot add {email} as a customer: {_describe(accounts)}")


def _describe(accounts: tuple[CustomerAccount, ...]) -> str:
    if not accounts:
        return "no account has that e-mail"
    return ", ".join(f"{a.account} ({'licensed' if a.licensed else 'portal-only'})" for a in accounts)

