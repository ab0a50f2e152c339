"""Target size limits: what a target holds after a plan, against what it accepts. Pure.

Atlassian Cloud syncs at most 150,000 users into one directory and 35,000 users into one group; past
that its API refuses. Rather than apply a plan that fails halfway through, the diff records each limit
the plan would break (`TargetLimit`) and the guards refuse the plan before any write, naming the figures
and the override.
"""

from __future__ import annotations

from collections import Counter

from idsync.domain.plan import Action, PlanItem, TargetLimit
from idsync.domain.records import Capabilities, TargetState


def broken_limits(
    items: tuple[PlanItem, ...] | list[PlanItem], state: TargetState, capabilities: Capabilities
) -> tuple[TargetLimit, ...]:
    """The limits of `capabilities` the target would exceed once `items` are applied to `state`."""
    broken: list[TargetLimit] = []
    if capabilities.max_users is not None and state.user_count is not None:
        kinds = Counter(item.action for item in items)
        after = state.user_count + kinds[Action.CREATE_USER] - kinds[Action.DELETE_USER]
        if after > capabilities.max_users:
            broken.append(TargetLimit(state.target, "users", after, capabilities.max_users))
    allowed = capabilities.max_group_members
    if allowed is not None:
        change: Counter[str] = Counter()
        for item in items:
            if item.group is None:
                continue
            if item.action is Action.ADD_MEMBER:
                change[item.group] += 1
            elif item.action is Action.REMOVE_MEMBER:
                change[item.group] -= 1
        for group, delta in sorted(change.items()):
            if delta <= 0:
                continue
            after = len(state.groups.get(group) or ()) + delta
            if after > allowed:
                broken.append(TargetLimit(state.target, group, after, allowed))
    return tuple(broken)
