"""Shared working state of one diff: indexes over the target state and links, and the outputs
(items, disputes, notes, link bookkeeping) the user and group phases append to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from idsync.config.profiles import Profile
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.records import (
    Capabilities,
    DesiredState,
    DesiredUser,
    Dispute,
    LeadRole,
    Link,
    Reason,
    TargetState,
    TargetUser,
    Unsyncable,
)


class Situation(Enum):
    """How a desired user stands against the target (classify before acting: linked, claimable,
    unmatched, disputed, gone)."""

    UNCHANGED = "unchanged"
    """Linked, fingerprint equal: nothing read, nothing written."""
    UPDATED = "updated"
    """Linked and read: items bring it to the desired state (possibly none)."""
    CLAIMED = "claimed"
    """Unlinked, an existing target user is claimed (users.match_existing_by)."""
    CREATED = "created"
    """Unmatched: created (or re-created after deletion in the target)."""
    ABSENT = "absent"
    """Will not exist in the target (inactive in the source, or users.create off)."""
    DISPUTED = "disputed"
    PROTECTED = "protected"


@dataclass(frozen=True, slots=True)
class UserVerdict:
    """The outcome of classifying one desired user."""

    user: DesiredUser
    situation: Situation
    name_after: str | None = None
    """The username the target knows once the plan ran (None: the user will not exist)."""
    key: str | None = None


@dataclass(slots=True)
class DiffContext:
    """Inputs, indexes and outputs of one diff."""

    desired: DesiredState
    state: TargetState
    links: Mapping[str, Link]
    profile: Profile
    capabilities: Capabilities
    items: list[PlanItem] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    unsyncable: list[Unsyncable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link_upserts: list[Link] = field(default_factory=list)
    link_deletes: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Current username (casefolded) → username after the plan, for planned renames."""
    hands_off: set[str] = field(default_factory=set)
    """Casefolded usernames no item may touch (protected users, users in a dispute)."""
    link_by_key: dict[str, Link] = field(default_factory=dict)
    by_username: dict[str, TargetUser] = field(default_factory=dict)
    by_email: dict[str, list[TargetUser]] = field(default_factory=lambda: defaultdict(list))
    protected: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.link_by_key = {link.target_key: link for link in self.links.values()}
        for user in sorted(self.state.users.values(), key=lambda u: u.key):
            self.by_username[self.fold(user.username)] = user
            if user.email:
                self.by_email[user.email.casefold()].append(user)
        self.protected = frozenset(self.fold(u) for u in self.profile.safety.protected_users)
        self.hands_off.update(self.protected)
        # Users the rules disputed or skipped are still in the source: leave their memberships alone.
        untouchable = set(self.desired.skipped)
        for dispute in self.desired.disputes:
            untouchable.update(dispute.source_ids)
            self.hands_off.add(self.fold(dispute.username))
        for source_id in untouchable:
            link = self.links.get(source_id)
            if link is not None:
                self.hands_off.add(self.fold(link.username))

    def fold(self, name: str) -> str:
        """A username or group name as this target compares it: as it is where the target is case
        sensitive, else case-folded (every Atlassian product)."""
        return name if self.capabilities.case_sensitive_names else name.casefold()

    @property
    def target(self) -> str:
        """The target's name, stamped on every item."""
        return self.state.target

    def is_protected(self, *usernames: str | None) -> bool:
        """Whether any of the names is in safety.protected_users (case-insensitive)."""
        protected = self.protected
        if not protected:
            return False
        # a loop, not any(<generator>): asked for every person of every run (150,000: 0.09 → 0.05 s)
        for name in usernames:  # noqa: SIM110 (the generator is what this avoids)
            if name is not None and self.fold(name) in protected:
                return True
        return False

    def add(
        self,
        action: Action,
        reason: Reason,
        *,
        user: str | None = None,
        user_key: str | None = None,
        source_id: str | None = None,
        group: str | None = None,
        changes: tuple[Change, ...] = (),
        fingerprint: str | None = None,
        lead: LeadRole | None = None,
        new_lead: str | None = None,
    ) -> None:
        """Append one plan item for this diff's target."""
        self.items.append(
            PlanItem(
                action=action,
                target=self.target,
                reason=reason,
                user=user,
                user_key=user_key,
                source_id=source_id,
                group=group,
                changes=changes,
                fingerprint=fingerprint,
                lead=lead,
                new_lead=new_lead,
            )
        )

    def update_link(self, link: Link, **changes: Any) -> None:
        """Link bookkeeping that needs no target write; merged with any earlier update of the same
        link in this diff, so two phases never save conflicting rows."""
        for index, pending in enumerate(self.link_upserts):
            if pending.source_id == link.source_id:
                self.link_upserts[index] = replace(pending, **changes)
                return
        self.link_upserts.append(replace(link, **changes))

    def dispute(self, username: str, source_ids: tuple[str, ...], detail: str) -> None:
        """Record a target-side dispute: the users it names get no item this run."""
        self.disputes.append(Dispute(username, source_ids, detail))
