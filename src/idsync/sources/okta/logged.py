"""What Okta's System Log says changed between two incremental reads: deleted users and group
memberships.

Why the log: a deleted user never shows in the `lastUpdated` change listing again, and a membership
change moves only the group's `lastMembershipUpdated`, not what changed. Without the log, every group
whose timestamp moved is re-read member by member, as full user objects (`/groups/{id}/users`): at
10,000 users, 100 changes cost ~50 member pages, several megabytes of JSON. The log names each
`group.user_membership.add` / `.remove` with its user and group, so the cached members can be brought
up to date instead.

Trust, but verify: the log is eventually consistent and its delivery is not a completeness proof, so
a group is taken from the log only when the result has exactly the member count Okta reports for the
group (`expand=stats` → `_embedded.stats.usersCount`); any other group is read in full, as before. Two
lost events that cancel out in the count (one add, one remove, both missing from the log past its
five-minute overlap) would go unseen until the next full read (`full_read_every_hours`), the same
window the change listing's own overlap accepts.

Which target is the group: Okta's docs do not give the `type` literal of a group target in membership
events (`UserGroup` is what is commonly seen), so the group is the target that is not a `User`.

The BUILT_IN Everyone group holds every user of the org implicitly; Okta does not document a
membership event for it, so its members are the cached ones plus every user the change listing
returned, less the deleted (still verified by the count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from idsync.sources.okta.models import WireError

DELETE = "user.lifecycle.delete"
ADDED = "group.user_membership.add"
REMOVED = "group.user_membership.remove"
FILTER = f'eventType sw "{DELETE}" or eventType eq "{ADDED}" or eventType eq "{REMOVED}"'
"""The System Log filter of an incremental read (`sw` and `or` are documented for the log)."""


@dataclass(slots=True)
class LoggedChanges:
    """Deleted users and each group's membership changes, in the order they were published."""

    deleted: set[str] = field(default_factory=set)
    memberships: dict[str, dict[str, bool]] = field(default_factory=dict)
    """group id → user id → a member after the last event about them (True) or not (False)."""

    def take(self, page: Iterable[Any]) -> None:
        """Add one page of LogEvents; events are sorted by `published` first, because a polling
        request returns them in persistence order, which may differ. Events that did not succeed are
        skipped."""
        events = [_checked(event) for event in page]
        events.sort(key=lambda event: str(event.get("published") or ""))
        for event in events:
            outcome = event.get("outcome")
            if isinstance(outcome, Mapping) and outcome.get("result") not in (None, "SUCCESS"):
                continue
            kind = str(event.get("eventType") or "")
            targets = [t for t in event.get("target") or () if isinstance(t, Mapping) and t.get("id")]
            users = [str(t["id"]) for t in targets if t.get("type") == "User"]
            if kind.startswith(DELETE):
                self.deleted.update(users)
            elif kind in (ADDED, REMOVED) and len(users) == 1:
                for group in (str(t["id"]) for t in targets if t.get("type") != "User"):
                    self.memberships.setdefault(group, {})[users[0]] = kind == ADDED

    def members_now(
        self, cached: frozenset[str], group_id: str, users_count: int | None, joined: Iterable[str] = ()
    ) -> frozenset[str] | None:
        """The group's members: `cached` with the logged changes, the `joined` users added (the
        Everyone group) and the deleted removed, when that gives Okta's own count; None otherwise
        (the group must then be read)."""
        if users_count is None:
            return None
        members = set(cached)
        members.update(joined)
        for user, member in self.memberships.get(group_id, {}).items():
            if member:
                members.add(user)
            else:
                members.discard(user)
        members -= self.deleted
        return frozenset(members) if len(members) == users_count else None


def _checked(event: Any) -> Mapping[str, Any]:
    if not isinstance(event, Mapping):
        raise WireError(f"log event: expected a JSON object, got {type(event).__name__}")
    return event

