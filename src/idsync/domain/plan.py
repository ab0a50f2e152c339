"""The plan: a closed set of actions, each item with its reason. A plan is data.

The diff produces it, guards inspect it, the CLI renders it, `idsync plan --out` saves it as JSON and
`idsync apply` executes exactly the saved items. Nothing in a plan's metadata changes how it applies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from idsync.domain.records import Dispute, LeadRole, Reason, StateQuery, Unsyncable


class Action(StrEnum):
    """Every change idsync can make. The order of the members is the order of application phases."""

    CREATE_GROUP = "create_group"
    RENAME_GROUP = "rename_group"
    """A group renamed in the source, renamed in place (targets with `Capabilities.group_rename`)."""
    CREATE_USER = "create_user"
    LINK_USER = "link_user"
    """Claim an existing target user (`users.match_existing_by`): no write to the target, a link row
    in our store."""
    RENAME_USER = "rename_user"
    REACTIVATE_USER = "reactivate_user"
    RESTORE_LICENCE = "restore_licence"
    """Give a returning user back one licence-granting group it lost to REVOKE_LICENCE (targets that
    cannot deactivate, such as Bitbucket, where a licence comes from group membership)."""
    UPDATE_USER = "update_user"
    SET_USER_PROPERTY = "set_user_property"
    ADD_MEMBER = "add_member"
    CREATE_CUSTOMER = "create_customer"
    """Create a portal-only customer account (Jira Service Management: servicedeskapi) for a person a
    mapped source group makes a customer of a service desk. `user` is the e-mail address."""
    ADD_CUSTOMER = "add_customer"
    """Make an account a customer of one service desk (`group` carries the desk's project key)."""
    HAND_OVER_LEAD = "hand_over_lead"
    REMOVE_MEMBER = "remove_member"
    REMOVE_CUSTOMER = "remove_customer"
    """Take a customer idsync added off one service desk (`group`: its project key) after the person
    left the mapped source group."""
    REVOKE_LICENCE = "revoke_licence"
    """Take a user out of one licence-granting group: how a target without a deactivate (Bitbucket)
    stops a person from using the product. The link records the group so the user gets it back."""
    DEACTIVATE_USER = "deactivate_user"
    DELETE_USER = "delete_user"
    DELETE_GROUP = "delete_group"
    """Remove a group idsync made from a source group that was renamed, on a target that cannot rename
    groups (Atlassian Cloud): its members were moved to the group under the new name first."""

    @property
    def phase(self) -> int:
        """Items of a lower phase are applied before items of a higher one (groups before members,
        lead handover before deactivation); items within a phase may run concurrently."""
        return _PHASES[self]

    @property
    def destructive(self) -> bool:
        """Whether guards count this action as damage if the source had a bad day."""
        return self in (
            Action.REMOVE_MEMBER, Action.REVOKE_LICENCE, Action.DEACTIVATE_USER, Action.DELETE_USER,
            Action.REMOVE_CUSTOMER,
            Action.DELETE_GROUP,
        )


_PHASES = {action: index for index, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class Change:
    """One field an item changes: `old` as the target has it now, `new` as it will be."""

    field: str
    old: str | bool | None
    new: str | bool | None


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One change to one target object.

    `user` is the username the target knows at the time the item runs (after a rename, the new one);
    `user_key` the target's immutable key when the user exists. `fingerprint` is what the link row
    records once every item of this user succeeded.
    """

    action: Action
    target: str
    reason: Reason
    user: str | None = None
    user_key: str | None = None
    source_id: str | None = None
    group: str | None = None
    changes: tuple[Change, ...] = ()
    lead: LeadRole | None = None
    new_lead: str | None = None
    fingerprint: str | None = None
    grants: tuple[str, ...] = ()
    """CREATE_USER: the default groups for new users this creation grants (added by this plan).
    The link records them, so later runs keep those memberships."""

    @property
    def subject(self) -> str:
        """A short human name for what the item touches."""
        if self.action is Action.HAND_OVER_LEAD and self.lead is not None:
            return f"{self.lead.kind} {self.lead.name}"
        if self.group is not None and self.user is not None:
            arrow = "→" if self.action in (Action.ADD_MEMBER, Action.RESTORE_LICENCE, Action.ADD_CUSTOMER) \
                else "⨯"
            return f"{self.user} {arrow} {self.group}"
        return self.user or self.group or "?"


class Outcome(StrEnum):
    """What became of one item."""

    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not attempted: an item it depends on failed, or the run was halted."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one plan item, as history records it."""

    index: int
    outcome: Outcome
    error: str | None = None
    target_key: str | None = None
    """The key the target gave a created user, so the link can be written."""
    attempts: int = 1
    duration_ms: float = 0.0


def by_position(size: int, results: Iterable[ItemResult]) -> list[ItemResult | None]:
    """Result i at position i of a plan of `size` items (None: that item has none); ValueError for a
    result whose index is not in the plan. A list, not a dict by index: the 1.2 million results of a
    large initial sync made a dict of ~80 MB."""
    outcome: list[ItemResult | None] = [None] * size
    for result in results:
        if not 0 <= result.index < size:  # a negative index would silently land at the end
            raise ValueError(f"item result index {result.index} is outside the plan "
                             f"({size} items: valid 0..{size - 1})")
        outcome[result.index] = result
    return outcome


@dataclass(frozen=True, slots=True)
class TargetLimit:
    """A size limit of the target the plan would break (Atlassian Cloud: 150,000 users per directory,
    35,000 per group): what it holds after the plan against what it accepts. The guards refuse it."""

    target: str
    subject: str
    """"users" for the directory's user count, else the group's name."""
    after: int
    allowed: int


@dataclass(frozen=True, slots=True)
class SeatCount:
    """The seats of one licence the plan's items take in a target (new users, returning ones, users
    put into a licence-granting group), against the seats left there. The guards refuse the plan when
    `needed` exceeds `left`, unless `safety.over_seats: hold_new_users` held the excess back."""

    target: str
    licence: str
    """The licence's key (`SeatPool.key`: "jira-software", "confluence", "bitbucket")."""
    name: str
    needed: int
    left: int | None
    """None: the licence is unlimited."""
    users: tuple[str, ...] = ()
    """Who takes a seat, by the username the items give them, in username order."""


@dataclass(frozen=True, slots=True)
class HeldUser:
    """A user whose items `safety.over_seats: hold_new_users` left out of the plan because the licence
    had no seat left for them: the next run plans them again."""

    target: str
    user: str
    source_id: str | None
    licences: tuple[str, ...]
    """The licences (keys) that had no seat left for the user."""
    items: int
    """How many items were held back."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything one run intends to do, and the facts it was computed from."""

    profile: str
    created_at: datetime
    items: tuple[PlanItem, ...]
    source: str
    source_users: int
    source_groups: int
    scope: str = "all"
    disputes: tuple[Dispute, ...] = ()
    unsyncable: tuple[Unsyncable, ...] = ()
    """People in scope a target cannot accept as the rules make them (the reason says why)."""
    unread_targets: Mapping[str, str] = field(default_factory=dict)
    """Targets of the profile whose state could not be read (target → the error): nothing is planned
    for them this run, and the run ends PARTIAL; the other targets go ahead."""
    limits: tuple[TargetLimit, ...] = ()
    """Target size limits the plan would break (see TargetLimit)."""
    seats: tuple[SeatCount, ...] = ()
    """Per target and licence: the seats the items take and the seats left (see SeatCount)."""
    held_users: tuple[HeldUser, ...] = ()
    """Users left out for want of a seat (`safety.over_seats: hold_new_users`)."""
    target_fingerprints: Mapping[str, str] = field(default_factory=dict)
    """Per target: a hash of the target state the plan was computed from (a saved plan is refused when
    the target changed since)."""
    queries: Mapping[str, StateQuery] = field(default_factory=dict)
    """Per target: what was read, so `idsync apply` can re-read the same and detect a stale plan."""
    managed_users: Mapping[str, int] = field(default_factory=dict)
    """Per target: users idsync managed before this plan (base of percentage limits)."""
    single_user: str | None = None
    notes: tuple[str, ...] = ()
    """Things a reviewer should know that are not items: protected objects skipped, a lead with no
    successor configured, a group missing with create_missing off."""

    def counts(self) -> Counter[Action]:
        """How many items of each action the plan holds."""
        return Counter(item.action for item in self.items)

    @property
    def empty(self) -> bool:
        """A plan with nothing to do."""
        return not self.items

    def ordered(self) -> list[tuple[int, PlanItem]]:
        """Items with their indices, in application order (stable within a phase)."""
        items = self.items
        return [(index, items[index]) for index in self.application_order()]

    def application_order(self) -> list[int]:
        """The items' positions in application order: by phase, in plan order within one."""
        # bucketed, not sorted by a (phase, index) key: that built two tuples per item, ~150 MB for a
        # moment at the start of a 1.2-million-item apply
        phases: list[list[int]] = [[] for _ in _PHASES]
        for index, item in enumerate(self.items):
            phases[item.action.phase].append(index)
        return [index for phase in phases for index in phase]

    def with_items(self, items: tuple[PlanItem, ...]) -> Plan:
        """A copy with other items (used by tests and by single-object plans)."""
        return replace(self, items=items)

    def to_json(self) -> bytes:
        """Serialise for `idsync plan --out` and history."""
        return _PLAN_ADAPTER.dump_json(self, indent=2)

    def targets(self) -> list[str]:
        """Every target the plan read or could not read, in the profile's order as planned."""
        names = dict.fromkeys([*self.queries, *self.unread_targets])
        names.update(dict.fromkeys(item.target for item in self.items))
        return list(names)

    def by_target(self) -> dict[str, dict[str, Any]]:
        """Per target: item counts by action, users idsync managed there, and why it was not read."""
        summary: dict[str, dict[str, Any]] = {}
        for target in self.targets():
            counts = Counter(item.action.value for item in self.items if item.target == target)
            summary[target] = {
                "items": sum(counts.values()),
                "counts": dict(sorted(counts.items())),
                "managed_users": self.managed_users.get(target),
                "unread": self.unread_targets.get(target),
            }
        return summary

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (for `--json` output), with a per-target summary under "targets"."""
        result: dict[str, Any] = _PLAN_ADAPTER.dump_python(self, mode="json")
        result["targets"] = self.by_target()
        return result

    @staticmethod
    def from_json(data: bytes | str) -> Plan:
        """Load a plan saved by `to_json`; raises pydantic.ValidationError on a malformed file."""
        return _PLAN_ADAPTER.validate_json(data)


_PLAN_ADAPTER: TypeAdapter[Plan] = TypeAdapter(Plan)
