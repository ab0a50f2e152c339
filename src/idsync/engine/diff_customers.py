"""The service-desk customer diff: desired customers + the desks' customers + accounts + links →
plan items. Pure: no I/O, no clock; equal inputs give equal items.

Two steps, because what to look up depends on what the desks hold:

1. `account_query(desired, desks, links)`: the accounts to read — by e-mail for people idsync has not
   linked yet and for linked people whose account must be checked again, by account for each
   customer about to be added or removed (is it licensed now?). A person already a customer of
   every desk they should be on costs no read.
2. `diff_customers(...)`: for each desired customer and desk, classify and react —

       on the desk already                           → nothing
       no account with that e-mail                   → CREATE_CUSTOMER, then ADD_CUSTOMER per desk
       a portal-only account                         → ADD_CUSTOMER per desk it is missing from
       an account with application access (agent)    → a note; never made a customer
       two accounts share the e-mail                 → a note; nothing
       idsync added it, no longer desired there      → REMOVE_CUSTOMER (portal-only accounts only)

Only desks idsync itself added a person to are ever removed (`CustomerLink.desks`); a desk whose
customers the server cannot list (Data Center documents no GET or DELETE for them) gets its
customers added but never removed, and a note says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from idsync.domain.customers import (
    AccountQuery,
    Accounts,
    CustomerAccount,
    CustomerLink,
    DesiredCustomer,
    DesiredCustomers,
    ServiceDesk,
)
from idsync.domain.plan import Action, Change, ItemResult, Outcome, PlanItem
from idsync.domain.records import Reason

CUSTOMER_ACTIONS = frozenset({Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER, Action.REMOVE_CUSTOMER})
RULE = "service_desks.mapping"


@dataclass(frozen=True, slots=True)
class CustomerDiff:
    """The customer diff's named outputs."""

    items: tuple[PlanItem, ...]
    notes: tuple[str, ...]
    link_upserts: tuple[CustomerLink, ...] = ()
    """Bookkeeping that needs no write: an account found already on its desks, desks that are gone
    or no longer idsync's to manage. Saved after the run."""
    link_deletes: tuple[str, ...] = ()


def _in_play(desired: DesiredCustomers, source_id: str) -> bool:
    if source_id in desired.hands_off:
        return False
    return desired.single_user is None or source_id == desired.single_user


def _on_desk(desk: ServiceDesk, account: str | None, link: CustomerLink | None) -> bool:
    """Whether the account is a customer of the desk: from the desk's list where the server gives
    one, else from what idsync itself did (it cannot verify there)."""
    if desk.customers is not None:
        return account is not None and account in desk.customers
    return link is not None and desk.key in link.desks


def _missing(
    customer: DesiredCustomer, desks: Mapping[str, ServiceDesk | None], account: str | None,
    link: CustomerLink | None,
) -> list[str]:
    return [key for key in sorted(customer.desks)
            if (desk := desks.get(key)) is not None and not _on_desk(desk, account, link)]


def _removable(
    desired: DesiredCustomers, desks: Mapping[str, ServiceDesk | None], link: CustomerLink
) -> list[str]:
    """Desks idsync added the linked person to that they should leave and that can be checked."""
    customer = desired.customers.get(link.source_id)
    wanted = set(customer.desks) if customer is not None else set()
    found = []
    for key in sorted(link.desks - wanted):
        desk = desks.get(key)
        if key in desired.held or desk is None or desk.customers is None:
            continue
        if link.account in desk.customers:
            found.append(key)
    return found


def account_query(
    desired: DesiredCustomers, desks: Mapping[str, ServiceDesk | None], links: Mapping[str, CustomerLink]
) -> AccountQuery:
    """The accounts `diff_customers` needs read (see the module docstring)."""
    emails: set[str] = set()
    accounts: set[str] = set()
    for source_id, customer in desired.customers.items():
        if not _in_play(desired, source_id):
            continue
        link = links.get(source_id)
        if link is None:
            if any(desks.get(key) is not None for key in customer.desks):
                emails.add(customer.email.casefold())
            continue
        if _missing(customer, desks, link.account, link):
            accounts.add(link.account)
            emails.add(customer.email.casefold())
    for source_id, link in links.items():
        if _in_play(desired, source_id) and _removable(desired, desks, link):
            accounts.add(link.account)
    return AccountQuery(frozenset(emails), frozenset(accounts))


@dataclass
class _Diff:
    desired: DesiredCustomers
    desks: Mapping[str, ServiceDesk | None]
    accounts: Accounts
    links: Mapping[str, CustomerLink]
    target: str
    items: list[PlanItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    upserts: list[CustomerLink] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)

    def add(self, action: Action, reason: Reason, email: str, source_id: str, *, account: str | None = None,
            desk: str | None = None, changes: tuple[Change, ...] = ()) -> None:
        self.items.append(PlanItem(action=action, target=self.target, reason=reason, user=email,
                                   user_key=account, source_id=source_id, group=desk, changes=changes))

    def account_of(
        self, customer: DesiredCustomer, link: CustomerLink | None
    ) -> CustomerAccount | str | None:
        """The person's account; None when nobody has the e-mail; a note's text when it is ambiguous."""
        if link is not None and link.account in self.accounts.by_account:
            return self.accounts.by_account[link.account]
        candidates = self.accounts.by_email.get(customer.email.casefold(), ())
        if len(candidates) > 1:
            names = ", ".join(sorted(c.account for c in candidates))
            return (f"{RULE}: {len(candidates)} accounts in {self.target} have e-mail {customer.email!r} "
                    f"({names}): none is made a customer; give the address to one account only")
        return candidates[0] if candidates else None

    def plan_customer(self, customer: DesiredCustomer) -> None:
        link = self.links.get(customer.source_id)
        if link is not None and not _missing(customer, self.desks, link.account, link):
            return
        found = self.account_of(customer, link)
        if isinstance(found, str):
            self.notes.append(found)
            return
        wanted = [key for key in sorted(customer.desks) if self.desks.get(key) is not None]
        if not wanted:
            return
        if found is None and customer.source_id in self.desired.pending:
            self.notes.append(f"{RULE}: {customer.email} gets a user in {self.target} from this plan; "
                              "whether it becomes a customer is decided once it exists (agents and "
                              "licensed users never do)")
            return
        if found is None:
            changes = (Change("email", None, customer.email),
                       Change("display_name", None, customer.display_name))
            reason = customer.desks[wanted[0]]
            why = Reason(reason.rule, f"{reason.detail}; {self.target} has no account with e-mail "
                         f"{customer.email!r}")
            self.add(Action.CREATE_CUSTOMER, why, customer.email, customer.source_id, changes=changes)
            for key in wanted:
                self.add(Action.ADD_CUSTOMER, customer.desks[key], customer.email, customer.source_id,
                         desk=key)
            return
        if found.licensed:
            detail = f" ({found.detail})" if found.detail else ""
            self.notes.append(f"{RULE}: {found.account!r} ({customer.email}) in {self.target} is an agent or "
                              f"licensed user{detail}: not made a customer of {', '.join(wanted)}")
            return
        missing = _missing(customer, self.desks, found.account, link)
        for key in missing:
            self.add(Action.ADD_CUSTOMER, customer.desks[key], customer.email, customer.source_id,
                     account=found.account, desk=key)
        if link is None and not missing:
            # Already a customer everywhere (an admin added them): remember the account, so later runs
            # need not look it up; the desks stay the admin's (idsync never removes them).
            self.upserts.append(CustomerLink(customer.source_id, found.account, customer.email, frozenset()))
        elif link is not None and link.account != found.account:
            self.upserts.append(replace(link, account=found.account, desks=frozenset()))

    def plan_removals(self, link: CustomerLink) -> None:
        customer = self.desired.customers.get(link.source_id)
        wanted = set(customer.desks) if customer is not None else set()
        keep = set(link.desks)
        removing = False
        for key in sorted(link.desks - wanted):
            if key not in self.desired.desks:
                self.notes.append(f"{RULE}: service desk {key} is no longer mapped; {link.email} stays its "
                                  "customer and idsync stops managing that")
                keep.discard(key)
                continue
            desk = self.desks.get(key)
            if key in self.desired.held or desk is None:
                continue
            if desk.customers is None:
                self.notes.append(f"{RULE}: {link.email} should leave service desk {key}, but {self.target} "
                                  "offers no way to list or remove a desk's customers (Data Center documents "
                                  "only adding them): remove the customer in the project's Customers page")
                continue
            if link.account not in desk.customers:
                keep.discard(key)  # already gone (an admin removed them)
                continue
            account = self.accounts.by_account.get(link.account)
            if account is None:
                keep.discard(key)
                continue
            if account.licensed:
                detail = f" ({account.detail})" if account.detail else ""
                self.notes.append(f"{RULE}: {link.account!r} ({link.email}) is now an agent or licensed "
                                  f"user{detail}: left a customer of {key}, no longer managed by idsync")
                keep.discard(key)
                continue
            reason = Reason(RULE, f"{link.email} is no longer in a source group mapped to service desk {key}")
            self.add(Action.REMOVE_CUSTOMER, reason, link.email, link.source_id, account=link.account,
                     desk=key)
            removing = True
        if customer is None and not keep and not removing:
            self.deletes.append(link.source_id)
        elif keep != link.desks:
            self.upserts.append(replace(link, desks=frozenset(keep)))


def diff_customers(
    desired: DesiredCustomers,
    desks: Mapping[str, ServiceDesk | None],
    accounts: Accounts,
    links: Mapping[str, CustomerLink],
    target: str,
) -> CustomerDiff:
    """The items that bring the desks' customers to `desired` (read for `account_query`)."""
    run = _Diff(desired, desks, accounts, links, target)
    for key in sorted(desired.desks):
        if desks.get(key) is None:
            run.notes.append(f"{RULE}: {target} has no service desk for project {key}: left alone")
    for source_id in sorted(desired.customers):
        if _in_play(desired, source_id):
            run.plan_customer(desired.customers[source_id])
    for source_id in sorted(links):
        if _in_play(desired, source_id):
            run.plan_removals(links[source_id])
    items = sorted(run.items, key=lambda i: (i.action.phase, i.user or "", i.group or "", i.source_id or ""))
    return CustomerDiff(tuple(items), (*desired.notes, *run.notes), tuple(run.upserts), tuple(run.deletes))


def updated_customer_links(
    items: Sequence[PlanItem],
    results: Sequence[ItemResult],
    links: Mapping[str, CustomerLink],
    target: str,
    desired: frozenset[str],
) -> tuple[list[CustomerLink], list[str]]:
    """Customer links to upsert and source ids whose link to delete after apply: an applied
    ADD_CUSTOMER records its desk (and the account, which on Cloud only the create or add learnt), an
    applied REMOVE_CUSTOMER forgets it; a person no longer desired with no desk left is forgotten."""
    outcome = {result.index: result for result in results}
    current = dict(links)
    touched: set[str] = set()
    for index, item in enumerate(items):
        if item.target != target or item.action not in CUSTOMER_ACTIONS or item.source_id is None:
            continue
        result = outcome.get(index)
        if result is None or result.outcome is not Outcome.APPLIED:
            continue
        sid = item.source_id
        link = current.get(sid)
        account = result.target_key or item.user_key or (link.account if link else None)
        if account is None:
            continue
        if link is None:
            link = CustomerLink(sid, account, item.user or "", frozenset())
        desks = set(link.desks)
        if item.action is Action.ADD_CUSTOMER and item.group:
            desks.add(item.group)
        elif item.action is Action.REMOVE_CUSTOMER and item.group:
            desks.discard(item.group)
        current[sid] = replace(link, account=account, desks=frozenset(desks))
        touched.add(sid)
    upserts: list[CustomerLink] = []
    deletes: list[str] = []
    for sid in sorted(touched):
        link = current[sid]
        if sid not in desired and not link.desks:
            if sid in links:
                deletes.append(sid)
        elif link != links.get(sid):
            upserts.append(link)
    return upserts, deletes
