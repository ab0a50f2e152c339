"""Who the rules make a portal customer of which service desk (`service_desks.mapping`).

A member of a mapped source group is a desired customer of the group's desks when the rules keep
them in the profile at all: in scope, active, not disputed or skipped, not protected, with an e-mail
address (a customer account is identified by its e-mail). Everyone else idsync added is taken off
again by the diff. Two situations hold removals back instead, because they look like "nobody is in
the group" without meaning it: a mapped group missing from a full read (renamed, deleted, or out of
the source's scope) holds back its desks, and people the rules could not judge (skipped, disputed,
protected) are never touched.
"""

from __future__ import annotations

from collections import defaultdict

from idsync.config.profiles import Profile, ServiceDeskRules
from idsync.domain.customers import DesiredCustomer, DesiredCustomers
from idsync.domain.records import DesiredState, Reason, Snapshot, SourceGroup

RULE = "service_desks.mapping"


def _groups_by_name(snapshot: Snapshot) -> dict[str, list[SourceGroup]]:
    by_name: dict[str, list[SourceGroup]] = defaultdict(list)
    for group in snapshot.groups.values():
        by_name[group.name.casefold()].append(group)
    return by_name


def desired_customers(snapshot: Snapshot, desired: DesiredState, profile: Profile) -> DesiredCustomers:
    """The desired customers of the profile's service desks (empty when it has no `service_desks`)."""
    rules: ServiceDeskRules | None = profile.service_desks
    if rules is None:
        return DesiredCustomers({}, frozenset())
    protected = {name.casefold() for name in profile.safety.protected_users}
    hands_off = set(desired.skipped)
    for dispute in desired.disputes:
        hands_off.update(dispute.source_ids)
    desks: dict[str, dict[str, Reason]] = defaultdict(dict)
    held: set[str] = set()
    notes: list[str] = []
    by_name = _groups_by_name(snapshot)
    for group_name, keys in sorted(rules.mapping.items()):
        found = by_name.get(group_name.casefold(), [])
        if not found:
            if snapshot.single_user is None:
                held.update(keys)
                notes.append(f"{RULE}: source group {group_name!r} was not in the read; nobody is removed "
                             f"from service desk(s) {', '.join(keys)} this run")
            continue
        for group in found:
            for member in sorted(group.member_ids):
                for key in keys:
                    reason = Reason(RULE, f"member of source group {group.name!r} mapped to service "
                                    f"desk {key}")
                    desks[member].setdefault(key, reason)
    customers: dict[str, DesiredCustomer] = {}
    for source_id in sorted(desks):
        user = desired.users.get(source_id)
        if user is None or not user.active:
            continue  # out of scope or inactive: not a customer (what idsync added is taken away)
        if user.username.casefold() in protected:
            hands_off.add(source_id)
            continue
        if not user.email:
            notes.append(f"{RULE}: {user.username!r} has no e-mail address, so cannot be a portal customer "
                         "(check users.attributes.email)")
            hands_off.add(source_id)
            continue
        customers[source_id] = DesiredCustomer(source_id, user.email, user.display_name, desks[source_id])
    everything = frozenset(key for keys in rules.mapping.values() for key in keys)
    return DesiredCustomers(
        customers=customers,
        desks=everything,
        held=frozenset(held),
        hands_off=frozenset(hands_off),
        single_user=desired.single_user,
        notes=tuple(notes),
    )
