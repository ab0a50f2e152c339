"""Incremental Okta reads: the users changed since the last read, and every group.

Okta documents this recipe for "a background synchronization job": `GET /api/v1/users?filter=
lastUpdated gt "<time>"`, which (unlike the plain list) also returns DEPROVISIONED users, so a
deactivation is seen. Membership changes do not move a user's `lastUpdated` (Okta bumps the group's
`lastMembershipUpdated`; whether it also bumps the user's is not documented, so nothing relies on it):
the group list is therefore read whole every time (one page per 200 groups by default, up to 10,000
with `groups_page_size`) and members are re-read only for groups whose timestamps moved (the
membership cache, `idsync.sources.okta.cache`).

The cursor, `lastUpdated=<Okta time>;full=<ISO time>`, holds the latest `lastUpdated` any user had in
the previous read — Okta's own clock, so the local clock's skew does not matter — and when the last full
read was. The next filter starts `OVERLAP` earlier, because Okta's list index is eventually consistent
(a change can show up in a listing a moment after a later one): users in the overlap are read again,
which is harmless. Hard-deleted users never show in the filter: they disappear at the next full read,
at least every `full_read_every_hours` (0: every read is full). App-scoped reads (`app_id`) are always
full: an app's user list has no change filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from idsync.domain.progress import Progress
from idsync.domain.records import Snapshot
from idsync.sources.changes import Changes

if TYPE_CHECKING:
    from idsync.sources.okta.source import OktaSource

OVERLAP = timedelta(minutes=5)
"""How far before the previous read's latest `lastUpdated` the next filter starts (index lag)."""

_EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass(frozen=True, slots=True)
class OktaCursor:
    """The latest user `lastUpdated` of the previous read and when the last full read was."""

    last_updated: str
    full_at: datetime

    def __str__(self) -> str:
        return f"lastUpdated={self.last_updated};full={self.full_at.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> OktaCursor | None:
        """The cursor, or None when it is not one this module wrote (the read is then a full one)."""
        mark, sep, full = text.partition(";full=")
        name, eq, value = mark.partition("=")
        if not (sep and eq and name == "lastUpdated"):
            return None
        try:
            parse_time(value)
            full_at = datetime.fromisoformat(full)
        except ValueError:
            return None
        return cls(value, full_at if full_at.tzinfo else full_at.replace(tzinfo=UTC))


def parse_time(value: str) -> datetime:
    """An Okta timestamp ("2013-06-27T16:35:28.000Z") as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(moment: datetime) -> str:
    """An aware datetime in Okta's format, milliseconds and Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def latest_update(snapshot: Snapshot, default: str) -> str:
    """The latest `lastUpdated` among the snapshot's users (`default` when none has one)."""
    stamps = [v for u in snapshot.users.values() if isinstance(v := u.attributes.get("lastUpdated"), str)]
    if not stamps:
        return default
    return max([default, *stamps], key=parse_time)


async def read_changes(source: OktaSource, since: str, progress: Progress) -> Changes:
    """Changes since `since` (see the module docstring). Complete, or raises SourceReadError."""
    now = datetime.now(UTC)
    cursor = OktaCursor.parse(since) if since else None
    every = timedelta(hours=source.full_read_every_hours)
    if source.app_scoped or cursor is None or every <= timedelta(0) or now - cursor.full_at >= every:
        snapshot = await source.read_since(None, progress)
        mark = OktaCursor(latest_update(snapshot, _EPOCH), now)
        return Changes(str(mark), snapshot.users, snapshot.groups, snapshot)
    start = format_time(parse_time(cursor.last_updated) - OVERLAP)
    changed = await source.read_since(start, progress)
    mark = OktaCursor(latest_update(changed, cursor.last_updated), cursor.full_at)
    return Changes(str(mark), changed.users, changed.groups, None)
