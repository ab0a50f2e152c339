"""Licence seats: which planned items take a seat, against the seats each licence has left. Pure.

A target licensed per user (Jira's application roles, Confluence, Bitbucket) refuses the user past
its last seat — Jira and Bitbucket refuse the membership or the creation, Confluence the creation —
so a plan that needs more seats than are left fails halfway through: some people get in, in whatever
order apply reached them, the rest fail. The diff therefore counts, per target and licence, the users
its items give a seat (`SeatCount`), and before any write either the guards refuse the target's items
naming the figures, or (`safety.over_seats: hold_new_users`) `hold_new_users` leaves out the users who
do not fit, in username order, and the rest applies.

Who takes a seat of a licence (`SeatPool`), per user, from the user's items on that target:
- a user the plan creates, when the licence is given on creation (`on_create`: Confluence, a Jira
  application role selected by default) or when an item puts the user into one of its groups;
- an existing user who will be active after the plan and will hold the licence then but does not now:
  a returning user (reactivated, or given back a licence-granting group) whose groups give it, and a
  user put into a licence-granting group they do not hold the licence through yet. A licence without
  groups (Confluence) is held by every active user, so every reactivation takes a seat.
An existing user the target was not asked to read (linked and unchanged, only a membership changes)
holds a licence when the target's read of the managed groups shows them in one of its groups; when
it does not, they are counted as taking a seat — a seat counted too many refuses a plan that would
have fitted by one, a seat counted too few lets the target refuse an item, and the first is the one
a reviewer sees before anything is written.

Seats freed by the same plan (deactivations, removals) are not counted as available: apply creates
and adds before it deactivates and removes, so the target would refuse the new users first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from idsync.domain.plan import Action, HeldUser, Plan, PlanItem, SeatCount
from idsync.domain.records import Capabilities, SeatPool, TargetState, TargetUser

_JOINS = (Action.ADD_MEMBER, Action.RESTORE_LICENCE)
_LEAVES = (Action.DEACTIVATE_USER, Action.DELETE_USER)
_NOT_A_USERS = (Action.CREATE_GROUP, Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER, Action.REMOVE_CUSTOMER)
"""Items that are no user's own: groups, and service-desk customers (a portal-only customer takes no
seat, and one held back from the licence stays a customer)."""


@dataclass(slots=True)
class _Person:
    """One user's items on one target, as far as seats are concerned."""

    name: str = ""
    user_key: str | None = None
    created: bool = False
    returning: bool = False
    """Reactivated, or given back a licence-granting group (REVOKE_LICENCE's counterpart)."""
    leaving: bool = False
    joins: set[str] = field(default_factory=set)
    """Folded licence-granting groups the items put the user into (only those: a set of every group
    joined, per person, held ~100 MB for the moment of the count at 150,000 people)."""


def _fold(name: str, capabilities: Capabilities) -> str:
    return name if capabilities.case_sensitive_names else name.casefold()


def _person_key(item: PlanItem, capabilities: Capabilities) -> str | None:
    """Items of one person share the source id; an item without one (a member moved to a replacing
    group) is keyed by its username."""
    if item.source_id is not None:
        return f"id:{item.source_id}"
    if item.user is not None:
        return f"name:{_fold(item.user, capabilities)}"
    return None


def _people(
    items: Iterable[PlanItem], capabilities: Capabilities, licence_groups: frozenset[str]
) -> dict[str, _Person]:
    people: dict[str, _Person] = defaultdict(_Person)
    for item in items:
        if item.user is None or item.action in _NOT_A_USERS:
            continue
        key = _person_key(item, capabilities)
        if key is None:
            continue
        person = people[key]
        if item.action is not Action.RENAME_USER or not person.name:
            # every item but a rename names the user as it is after the plan
            person.name = item.user
        person.user_key = person.user_key or item.user_key
        if item.action is Action.CREATE_USER:
            person.created = True
        elif item.action in (Action.REACTIVATE_USER, Action.RESTORE_LICENCE):
            person.returning = True
        elif item.action in _LEAVES:
            person.leaving = True
        if item.action in _JOINS and item.group is not None:
            group = _fold(item.group, capabilities)
            if group in licence_groups:
                person.joins.add(group)
    return people


def _takes_seat(
    pool: SeatPool, person: _Person, existing: TargetUser | None, members: Mapping[str, frozenset[str]],
    capabilities: Capabilities,
) -> bool:
    """Whether `person`'s items give them a seat of `pool` they do not hold now (see the module)."""
    if person.leaving:
        return False
    joins = bool(person.joins & pool.groups)
    if person.created:
        return pool.on_create or joins or not pool.groups
    name = _fold(existing.username if existing is not None else person.name, capabilities)
    if not pool.groups:
        gives = True
    elif existing is not None and existing.seats is not None:
        gives = pool.key in existing.seats
    else:
        gives = any(name in members.get(group, ()) for group in pool.groups)
    # not read: linked, unchanged, and idsync last left the user active
    active = existing.active if existing is not None else True
    # on a licence-group target, "active" is holding a licence-granting group: joining one is returning
    will_be_active = active or person.returning or (joins and capabilities.licence_groups)
    return will_be_active and (gives or joins) and not (active and gives)


def seat_counts(
    items: Iterable[PlanItem], state: TargetState, capabilities: Capabilities
) -> tuple[SeatCount, ...]:
    """Per licence of `state.seats`, the users `items` give a seat (only licences that some need)."""
    if not capabilities.licence_seats or not state.seats:
        return ()
    licence_groups = frozenset(group for pool in state.seats for group in pool.groups)
    people = _people((i for i in items if i.target == state.target), capabilities, licence_groups)
    members = {_fold(group, capabilities): frozenset(_fold(m, capabilities) for m in names)
               for group, names in state.groups.items() if names is not None}
    counts = []
    for pool in sorted(state.seats, key=lambda p: p.key):
        users = sorted(
            (person.name for person in people.values()
             if _takes_seat(pool, person, state.users.get(person.user_key or ""), members, capabilities)),
            key=lambda n: (_fold(n, capabilities), n),
        )
        if users:
            counts.append(SeatCount(state.target, pool.key, pool.name, len(users), pool.left, tuple(users)))
    return tuple(counts)


def seat_notes(state: TargetState, capabilities: Capabilities) -> tuple[str, ...]:
    """What a reviewer must know about the seats that is not a count: they could not be read."""
    if not capabilities.licence_seats or state.seats_unread is None:
        return ()
    return (f"the licence seats of {state.target} could not be read ({state.seats_unread}): new and "
            "returning users were not counted against them, and the target refuses any past its last seat",)


def hold_new_users(plan: Plan) -> Plan:
    """`safety.over_seats: hold_new_users`: leave out the items of the users who find no seat left, in
    username order (the first `left` users of a licence keep theirs), so the rest of the plan fits and
    applies. A user who needs seats of several licences is held when any of them is full, and then
    takes none. The plan records who was held (`Plan.held_users`, and a note per target, which the
    run's history keeps); they are planned again by the next run."""
    if not any(c.left is not None and c.needed > c.left for c in plan.seats):
        return plan
    held: dict[str, dict[str, list[str]]] = {}
    for target in dict.fromkeys(c.target for c in plan.seats):
        held[target] = _held_in(c for c in plan.seats if c.target == target)
    dropped: dict[tuple[str, str], int] = defaultdict(int)
    first_id: dict[tuple[str, str], str | None] = {}
    # a rename names the user by the old name: its source id leads to the held name
    by_id = {(item.target, item.source_id): item.user.casefold() for item in plan.items
             if item.source_id is not None and item.user is not None and item.action not in _NOT_A_USERS
             and item.user.casefold() in held.get(item.target, {})}
    kept: list[PlanItem] = []
    for item in plan.items:
        who = _held_name(item, held, by_id)
        if who is None:
            kept.append(item)
            continue
        dropped[(item.target, who)] += 1
        if first_id.get((item.target, who)) is None:
            first_id[(item.target, who)] = item.source_id
    held_users = tuple(
        HeldUser(target, names[0], first_id.get((target, who)), tuple(names[1:]), dropped[(target, who)])
        for target, per_user in held.items() for who, names in per_user.items()
    )
    seats = tuple(
        replace(c, users=left_in, needed=len(left_in))
        for c in plan.seats
        if (left_in := tuple(u for u in c.users if u.casefold() not in held.get(c.target, {})))
    )
    notes = [
        f"{len(per_user)} users held back in {target} for want of licence seats "
        f"(safety.over_seats: hold_new_users): {', '.join(names[0] for names in per_user.values())}; "
        "the next run plans them again"
        for target, per_user in held.items() if per_user
    ]
    return replace(plan, items=tuple(kept), seats=seats, held_users=held_users,
                   notes=(*plan.notes, *notes))


def _held_in(counts: Iterable[SeatCount]) -> dict[str, list[str]]:
    """Folded username → [username, licence keys that had no seat left], for one target."""
    counts = list(counts)
    left = {c.licence: c.left for c in counts}
    needs: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for count in counts:
        for user in count.users:
            needs[user.casefold()].add(count.licence)
            names.setdefault(user.casefold(), user)
    held: dict[str, list[str]] = {}
    for folded in sorted(needs, key=lambda n: (n, names[n])):
        full = sorted(key for key in needs[folded] if (seats := left[key]) is not None and seats <= 0)
        if full:
            held[folded] = [names[folded], *full]
            continue
        for key in needs[folded]:
            seats = left[key]
            if seats is not None:
                left[key] = seats - 1
    return held


def _held_name(
    item: PlanItem, held: Mapping[str, Mapping[str, list[str]]], by_id: Mapping[tuple[str, str], str]
) -> str | None:
    """The folded name of the held user this item belongs to, if any (group items belong to nobody)."""
    per_target = held.get(item.target)
    if not per_target or item.user is None or item.action in _NOT_A_USERS:
        return None
    if item.user.casefold() in per_target:
        return item.user.casefold()
    if item.source_id is not None:
        return by_id.get((item.target, item.source_id))
    return None
