"""The safety guards: refuse a plan that would do more damage than the profile's safety limits allow.

A bad source day (an emptied Okta app, a filter typo, a half-read directory) looks to the diff like
"everyone left". The diff cannot tell; the guards count the destructive items of a finished plan, per
target, and refuse the whole plan (exit 3) before any write. Limits can be overridden for one run with
`--allow-over-limit`; protected users and groups and a suddenly empty source cannot, because no
reviewed plan should ever touch the first, and the second is almost always a broken read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from idsync.config.profiles import SafetyRules
from idsync.domain.errors import GuardRefused
from idsync.domain.plan import Action, Plan, PlanItem

_OVERRIDE = "Review the plan, then re-run with --allow-over-limit or raise the limit."


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which limit, the plan's figure, the configured allowance, and what to say."""

    limit: str
    """The safety key, e.g. "max_deactivations" (or "protected_users", "refuse_empty_source")."""
    actual: float
    allowed: float
    message: str
    target: str | None = None
    overridable: bool = True
    """False for protected objects and an empty source: --allow-over-limit does not lift them."""


@dataclass(frozen=True, slots=True)
class GuardReport:
    """The guards' verdict on one plan."""

    violations: tuple[Violation, ...]
    allow_over_limit: bool = False

    @property
    def refused(self) -> bool:
        """Whether the plan must not be applied."""
        return bool(self.blocking)

    @property
    def blocking(self) -> tuple[Violation, ...]:
        """Violations that refuse the plan (all of them, minus overridden limits)."""
        return tuple(v for v in self.violations if not (v.overridable and self.allow_over_limit))

    @property
    def overridden(self) -> tuple[Violation, ...]:
        """Limits the plan exceeds that --allow-over-limit lifted (still worth recording in history)."""
        return tuple(v for v in self.violations if v.overridable and self.allow_over_limit)

    @property
    def message(self) -> str:
        """What to tell the operator: each refusal, or each limit lifted by the override; "" if none."""
        lines = [v.message for v in self.blocking]
        lines += [f"allowed by --allow-over-limit: {v.message.removeprefix('refused: ')}"
                  for v in self.overridden]
        return "\n".join(lines)

    def refused_targets(self, targets: list[str]) -> dict[str, str]:
        """Target → the refusal, for each target whose items must not be applied. Each target has its
        own limits; a refusal that names no target (an empty source) holds back every target."""
        held: dict[str, list[str]] = {}
        for violation in self.blocking:
            for target in targets if violation.target is None else [violation.target]:
                held.setdefault(target, []).append(violation.message)
        return {target: "\n".join(messages) for target, messages in held.items()}

    def raise_if_refused(self) -> None:
        """Raise GuardRefused (exit 3) with the report's message when the plan is refused."""
        if self.refused:
            raise GuardRefused("\n".join(v.message for v in self.blocking))


def check(
    plan: Plan, safety: SafetyRules, *, allow_over_limit: bool, previous_source_users: int | None
) -> GuardReport:
    """Check a finished plan against a profile's safety rules; pure, no I/O."""
    violations: list[Violation] = []
    violations += _empty_source(plan, safety, previous_source_users)
    violations += _protected(plan, safety)
    for target in _targets(plan):
        violations += _limits(plan, safety, target)
    violations += _target_limits(plan)
    violations += _seats(plan)
    return GuardReport(tuple(violations), allow_over_limit=allow_over_limit)


def _target_limits(plan: Plan) -> list[Violation]:
    """The target's own size limits (Atlassian Cloud: users per directory, users per group): refused
    before apply, since the target would refuse the excess halfway through. --allow-over-limit lifts
    it, for the case the limit was raised for this organisation; the target then refuses the excess."""
    violations = []
    for limit in plan.limits:
        if limit.subject == "users":
            what, key = f"{limit.after} users in all", "max_users"
        else:
            what, key = f"{limit.after} members in group {limit.subject!r}", "max_group_members"
        violations.append(Violation(
            limit=f"target.{key}", actual=limit.after, allowed=limit.allowed, target=limit.target,
            message=(f"refused: after this plan target {limit.target!r} would hold {what}, over its limit "
                     f"of {limit.allowed:,} (the target refuses more). Shrink the scope or the mapping, or "
                     "if the limit was raised for your organisation, re-run with --allow-over-limit."),
        ))
    return violations


def _seats(plan: Plan) -> list[Violation]:
    """Licence seats: a target whose licence has fewer seats left than the plan gives out would refuse
    the users past the last one halfway through apply, in whatever order it reached them. Refused
    before any write, naming both figures; `safety.over_seats: hold_new_users` holds the excess back
    instead (the plan then fits), and --allow-over-limit lifts it for a licence the target reports
    wrongly (the target then refuses the excess itself)."""
    violations = []
    for count in plan.seats:
        if count.left is None or count.needed <= count.left:
            continue
        violations.append(Violation(
            limit="over_seats", actual=count.needed, allowed=count.left, target=count.target,
            message=(f"refused: this plan gives {_n(count.needed, 'user')} a seat of licence "
                     f"{count.name!r} ({count.licence}) in target {count.target!r}, which has "
                     f"{_n(count.left, 'seat')} left. "
                     "Free seats or extend the licence, set safety.over_seats: hold_new_users to apply the "
                     "rest and hold back the users who do not fit, or re-run with --allow-over-limit (the "
                     "target then refuses the users past its last seat)."),
        ))
    return violations


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _targets(plan: Plan) -> list[str]:
    seen = dict.fromkeys(item.target for item in plan.items)
    return list(seen)


def _empty_source(plan: Plan, safety: SafetyRules, previous: int | None) -> list[Violation]:
    if not safety.refuse_empty_source or plan.source_users != 0 or not previous:
        return []
    return [Violation(
        limit="refuse_empty_source", actual=0, allowed=previous, overridable=False,
        message=(f"refused: source {plan.source!r} returned no users although the previous run of profile "
                 f"{plan.profile!r} read {previous}; this is almost always a broken read or scope. "
                 "If the source really is empty now, set safety.refuse_empty_source: false for one run."),
    )]


def _touches(item: PlanItem, users: set[str], groups: set[str]) -> tuple[str, str] | None:
    """(kind, name) of the protected object an item touches, if any (names compare case-insensitively,
    as Jira and most directories do)."""
    if item.user is not None and item.user.lower() in users:
        return "user", item.user
    if item.group is not None and item.group.lower() in groups:
        return "group", item.group
    return None


def _protected(plan: Plan, safety: SafetyRules) -> list[Violation]:
    users = {name.lower() for name in safety.protected_users}
    groups = {name.lower() for name in safety.protected_groups}
    hits: Counter[tuple[str, str, str]] = Counter()
    for item in plan.items:
        touched = _touches(item, users, groups)
        if touched is not None:
            hits[(touched[0], touched[1], item.target)] += 1
    violations = []
    for (kind, name, target), count in hits.items():
        items = "item touches" if count == 1 else "items touch"
        violations.append(Violation(
            limit=f"protected_{kind}s", actual=count, allowed=0, target=target, overridable=False,
            message=(f"refused: {count} plan {items} protected {kind} {name!r} in target {target!r} "
                     f"(safety.protected_{kind}s of profile {plan.profile!r}); idsync never changes "
                     "protected objects. Remove the rule that selects it, or take it off the list."),
        ))
    return violations


def _count(items: Iterable[PlanItem], target: str, *actions: Action) -> int:
    return sum(1 for item in items if item.target == target and item.action in actions)


def _over(
    plan: Plan, target: str, limit: str, actual: int, allowed: int | None, what: str
) -> list[Violation]:
    if allowed is None or actual <= allowed:
        return []
    return [Violation(
        limit=limit, actual=actual, allowed=allowed, target=target,
        message=(f"refused: {actual} {what} in target {target!r} exceed safety.{limit} = {allowed} "
                 f"for profile {plan.profile!r}. {_OVERRIDE}"),
    )]


def _limits(plan: Plan, safety: SafetyRules, target: str) -> list[Violation]:
    # On a target without a deactivate, losing the licence is the deactivation: count people, not the
    # licence-granting groups each one leaves.
    unlicensed = {i.source_id or i.user for i in plan.items
                  if i.target == target and i.action is Action.REVOKE_LICENCE}
    deactivations = _count(plan.items, target, Action.DEACTIVATE_USER) + len(unlicensed)
    deletions = _count(plan.items, target, Action.DELETE_USER)
    removals = _count(plan.items, target, Action.REMOVE_MEMBER)
    violations = _over(plan, target, "max_deactivations", deactivations, safety.max_deactivations,
                       "deactivations")
    violations += _over(plan, target, "max_deletions", deletions, safety.max_deletions, "deletions")
    violations += _over(plan, target, "max_membership_removals", removals, safety.max_membership_removals,
                        "membership removals")
    violations += _percent(plan, safety, target, deactivations + deletions)
    return violations


def _percent(plan: Plan, safety: SafetyRules, target: str, lost: int) -> list[Violation]:
    """Deactivations and deletions together, as a share of the users idsync managed in the target
    before this plan (with none managed, any loss counts as 100 %).

    A percentage guards against mass loss: it is not applied to a single-user plan (a login or a
    SCIM push) nor to a plan that loses one user, where it would refuse ordinary days in small
    directories (1 of 2 users is 50 %); the count limits still apply to those."""
    allowed = safety.max_deactivation_percent
    if allowed is None or lost <= 1 or plan.single_user is not None:
        return []
    managed = plan.managed_users.get(target, 0)
    percent = 100.0 if managed <= 0 else 100.0 * lost / managed
    if percent <= allowed:
        return []
    return [Violation(
        limit="max_deactivation_percent", actual=round(percent, 1), allowed=allowed, target=target,
        message=(f"refused: {lost} deactivations and deletions in target {target!r} are {percent:.1f}% of "
                 f"the {managed} users idsync manages there, over safety.max_deactivation_percent = "
                 f"{allowed:g} for profile {plan.profile!r}. {_OVERRIDE}"),
    )]
