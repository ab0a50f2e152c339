"""The Okta group-membership cache: member ids of each group from the last complete org read, keyed
by the group's `lastMembershipUpdated` and `lastUpdated`: a membership change bumps the group's
`lastMembershipUpdated` (Okta does not say whether it also bumps the user's `lastUpdated`, so nothing
relies on that). The source reads members only of groups whose
timestamps moved; storage lives behind `MembershipCache` so this package stays free of SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from idsync.domain.records import CachedGroup

__all__ = ["CachedGroup", "MembershipCache", "reusable", "usable"]


class MembershipCache(Protocol):
    """Where the cache lives (the engine gives one backed by the store)."""

    def load(self) -> Mapping[str, CachedGroup]:
        """Every cached group, keyed by group id (empty when nothing is cached)."""
        ...

    def save(self, entries: Iterable[CachedGroup], keep: set[str]) -> None:
        """Write `entries` (replacing those groups' rows) and drop every cached group not in `keep`,
        atomically."""
        ...


def usable(cached: Mapping[str, CachedGroup], max_age_hours: float, now: datetime) -> bool:
    """Whether the cache may be used at all: not disabled (0), not empty, and no entry older than
    `max_age_hours` (so at least one full member read happens every `max_age_hours`)."""
    if max_age_hours <= 0 or not cached:
        return False
    oldest = min(entry.read_at for entry in cached.values())
    return now - oldest <= timedelta(hours=max_age_hours)


def reusable(
    entry: CachedGroup | None, last_membership_updated: str | None, last_updated: str | None
) -> bool:
    """Whether a cached entry still describes the group: both timestamps present and unchanged."""
    return (
        entry is not None
        and last_membership_updated is not None
        and last_updated is not None
        and entry.last_membership_updated == last_membership_updated
        and entry.last_updated == last_updated
    )
