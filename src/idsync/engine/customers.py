"""Service-desk customers within one run: read the desks and the accounts the diff needs, diff,
guard, and after apply turn outcomes into customer links. The run (engine/run.py) calls these three
hooks; everything that decides is in `diff_customers` (pure) and `rules.customers`.

The customer part of a run reads and writes through the connection `service_desks.connection`
names, which need not be one of the profile's targets: its items carry that connection's name as
their target, so apply sends them to it like any other item. Its links live in the store's link
table under `<connection>:service_desks`, apart from the connection's user links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from idsync.config.profiles import Profile, SafetyRules
from idsync.domain.customers import CustomerDirectory, CustomerLink, DesiredCustomers
from idsync.domain.errors import ConfigError
from idsync.domain.plan import Action, ItemResult, Plan, PlanItem
from idsync.domain.records import DesiredState, Snapshot
from idsync.engine.diff_customers import CustomerDiff, account_query, diff_customers, updated_customer_links
from idsync.engine.guards import GuardReport, Violation
from idsync.rules.customers import desired_customers

LINKS_SUFFIX = ":service_desks"


def links_key(connection: str) -> str:
    """The store's target name for the customer links of a service-desk connection."""
    return connection + LINKS_SUFFIX


def connections_of(profile: Profile) -> list[str]:
    """The connections a run of `profile` opens: its targets, then the service-desk connection."""
    names = list(profile.targets)
    if profile.service_desks is not None and profile.service_desks.connection not in names:
        names.append(profile.service_desks.connection)
    return names


def unread_label(connection: str) -> str:
    """How the plan names the customer part when it could not be read (apart from the connection's
    own user sync, which may have gone ahead)."""
    return f"{connection} (service desks)"


@dataclass(frozen=True, slots=True)
class CustomerRun:
    """What the customer part of one run planned, and what it needs after apply."""

    connection: str
    links: Mapping[str, CustomerLink]
    diff: CustomerDiff
    desired: frozenset[str]
    """Source ids the rules make customers (their links survive an emptied desk set)."""


async def plan_customers(
    profile: Profile, snapshot: Snapshot, desired: DesiredState, directory: object,
    links: Mapping[str, CustomerLink], items: Sequence[PlanItem] = (),
) -> CustomerRun:
    """Read what the customer diff needs from `directory` and diff; raises the read's ConnectorError,
    or ConfigError for a mapping naming a project without a service desk. `items`: the plan's other
    items (users created in the same connection by this plan are judged by the next run)."""
    rules = profile.service_desks
    assert rules is not None
    if not isinstance(directory, CustomerDirectory):
        raise ConfigError(f"service_desks.connection: connection {rules.connection!r} cannot hold "
                          "service-desk customers; valid: a jira or jira_cloud connection")
    wanted: DesiredCustomers = desired_customers(snapshot, desired, profile)
    pending = frozenset(i.source_id for i in items
                        if i.action is Action.CREATE_USER and i.target == rules.connection and i.source_id)
    if pending:
        wanted = replace(wanted, pending=pending)
    desks = await directory.read_desks(wanted.desks)
    accounts = await directory.read_accounts(account_query(wanted, desks, links))
    result = diff_customers(wanted, desks, accounts, links, rules.connection)
    return CustomerRun(rules.connection, links, result, frozenset(wanted.customers))


def with_customer_limits(guard: GuardReport, plan: Plan, safety: SafetyRules) -> GuardReport:
    """The guards' report plus the customer removals' limit: per connection, REMOVE_CUSTOMER items
    count against `safety.max_membership_removals` (taking people off a desk is a membership removal
    to whoever can no longer reach its portal)."""
    allowed = safety.max_membership_removals
    if allowed is None:
        return guard
    counts: dict[str, int] = {}
    for item in plan.items:
        if item.action is Action.REMOVE_CUSTOMER:
            counts[item.target] = counts.get(item.target, 0) + 1
    extra = [
        Violation(
            limit="max_membership_removals", actual=count, allowed=allowed, target=target,
            message=(f"refused: {count} service-desk customer removals in {target!r} exceed "
                     f"safety.max_membership_removals = {allowed} for profile {plan.profile!r}. Review the "
                     "plan, then re-run with --allow-over-limit or raise the limit."),
        )
        for target, count in sorted(counts.items()) if count > allowed
    ]
    if not extra:
        return guard
    return GuardReport((*guard.violations, *extra), allow_over_limit=guard.allow_over_limit)


def links_after(run: CustomerRun, plan: Plan, results: Sequence[ItemResult],
                applied: bool) -> tuple[list[CustomerLink], list[str]]:
    """The customer links to save: the diff's bookkeeping, and (when the plan was applied) what the
    outcomes changed."""
    current = {**run.links, **{link.source_id: link for link in run.diff.link_upserts}}
    for source_id in run.diff.link_deletes:
        current.pop(source_id, None)
    upserts = {link.source_id: link for link in run.diff.link_upserts}
    deletes = set(run.diff.link_deletes)
    if applied:
        changed, gone = updated_customer_links(plan.items, results, current, run.connection, run.desired)
        for link in changed:
            upserts[link.source_id] = link
            deletes.discard(link.source_id)
        for source_id in gone:
            upserts.pop(source_id, None)
            deletes.add(source_id)
    return [upserts[s] for s in sorted(upserts)], sorted(deletes)
