"""Did it happen? Items whose outcome is unknown, told by reading the target. Pure.

A POST that timed out, got a 500 or lost its connection may or may not have been carried out, and
repeating it blindly can create a second user or fail on the first. Two places need the answer:
apply, when such a write fails within a run (it reads, then retries only if the write did not
happen), and recovery, when a killed run left items without an outcome (idsync.engine.recovery). Both
ask the target for exactly the objects concerned (`query_for`) and judge each item against what it
reports (`Judge.happened`), so the verdict comes from the target, never from a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from idsync.domain.plan import Action, PlanItem
from idsync.domain.records import Capabilities, StateQuery, TargetState, TargetUser

RESOLVABLE = frozenset({
    Action.CREATE_USER, Action.CREATE_GROUP, Action.ADD_MEMBER, Action.REMOVE_MEMBER,
    Action.RENAME_USER, Action.UPDATE_USER, Action.DEACTIVATE_USER, Action.REACTIVATE_USER,
    Action.SET_USER_PROPERTY, Action.HAND_OVER_LEAD,
})
"""Actions whose effect a target read can see. The others (licences, groups renamed or deleted,
customers) stay unknown when their outcome was lost; the next run's diff sees their effect."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the target shows about one item: `done` True (it happened; `key` is a created user's key),
    False (it did not), or None (the read cannot tell)."""

    done: bool | None
    key: str | None = None


UNKNOWN = Verdict(None)


def query_for(items: Iterable[PlanItem]) -> StateQuery:
    """The one read that shows whether each of `items` happened."""
    keys: set[str] = set()
    names: set[str] = set()
    groups: set[str] = set()
    properties: set[str] = set()
    leads = False
    for item in items:
        if item.action not in RESOLVABLE:
            continue
        if item.action is Action.HAND_OVER_LEAD:
            leads = True
        elif item.action is Action.SET_USER_PROPERTY:
            # a user this plan creates has no key yet: found by name
            if item.user_key:
                keys.add(item.user_key)
            elif item.user:
                names.add(item.user)
            properties.update(c.field for c in item.changes)
        elif item.action in (Action.CREATE_GROUP, Action.ADD_MEMBER, Action.REMOVE_MEMBER) and item.group:
            groups.add(item.group)
        elif item.action in (Action.CREATE_USER, Action.RENAME_USER) and item.user:
            names.add(item.user)
        elif item.user_key:
            keys.add(item.user_key)
    return StateQuery(user_keys=frozenset(keys), usernames=frozenset(names), groups=frozenset(groups),
                      property_keys=frozenset(properties), leads=leads)


class Judge:
    """Judges items against one target state (read for `query_for` of them). The state is indexed once
    — users by folded username, a group's folded members when first asked — so recovery judging the
    thousands of items a killed run left open does not scan every user for every item."""

    def __init__(self, state: TargetState, capabilities: Capabilities) -> None:
        self.state = state
        self.sensitive = capabilities.case_sensitive_names
        self.by_name: dict[str, TargetUser] = {}
        for user in state.users.values():
            self.by_name.setdefault(self.fold(user.username), user)
        self._members: dict[str, frozenset[str]] = {}

    def fold(self, name: str) -> str:
        return name if self.sensitive else name.casefold()

    def members(self, group: str) -> frozenset[str] | None:
        """The group's members, folded; None when the group does not exist."""
        found = self._members.get(group)
        if found is None:
            members = self.state.groups.get(group)
            if members is None:
                return None
            found = self._members[group] = frozenset(self.fold(m) for m in members)
        return found

    def happened(self, item: PlanItem) -> Verdict:
        """Whether `item` is in effect in the state."""
        state, fold = self.state, self.fold
        match item.action:
            case Action.CREATE_GROUP if item.group is not None:
                return Verdict(state.groups.get(item.group) is not None)
            case Action.ADD_MEMBER | Action.REMOVE_MEMBER if item.group is not None and item.user is not None:
                members = self.members(item.group)
                if members is None:
                    return Verdict(item.action is Action.REMOVE_MEMBER)
                inside = fold(item.user) in members
                return Verdict(inside if item.action is Action.ADD_MEMBER else not inside)
            case Action.CREATE_USER | Action.RENAME_USER if item.user is not None:
                user = self.by_name.get(fold(item.user))
                if item.action is Action.RENAME_USER:
                    return Verdict(user is not None and (item.user_key is None or user.key == item.user_key))
                return Verdict(user is not None, user.key if user is not None else None)
            case Action.HAND_OVER_LEAD if item.lead is not None and item.new_lead is not None:
                wanted_role = (item.lead.kind, item.lead.id)
                role = next((r for r in state.leads if (r.kind, r.id) == wanted_role), None)
                return UNKNOWN if role is None else Verdict(fold(role.lead) == fold(item.new_lead))
            case Action.SET_USER_PROPERTY:
                user = state.users.get(item.user_key) if item.user_key else \
                    self.by_name.get(fold(item.user)) if item.user else None
                if user is None:
                    return UNKNOWN
                return Verdict(all(user.properties.get(c.field) == (None if c.new is None else str(c.new))
                                   for c in item.changes))
            case Action.UPDATE_USER | Action.DEACTIVATE_USER | Action.REACTIVATE_USER if item.user_key:
                user = state.users.get(item.user_key)
                if user is None:
                    return UNKNOWN
                if item.action is Action.DEACTIVATE_USER:
                    return Verdict(not user.active)
                if item.action is Action.REACTIVATE_USER:
                    return Verdict(user.active)
                wanted = {c.field: c.new for c in item.changes}
                have = {"email": user.email, "display_name": user.display_name}
                if not wanted or any(f not in have for f in wanted):
                    return UNKNOWN
                return Verdict(all(have[f] == v for f, v in wanted.items()))
        return UNKNOWN
