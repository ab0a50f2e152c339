"""Incremental Okta reads: the users changed since the last read, and every group.

Okta documents this recipe for "a background synchronization job": `GET /api/v1/users?filter=
lastUpdated gt "<time>"`, which (unlike the plain list) also returns DEPROVISIONED users, so a
deactivation is seen. Membership changes do not move a user's `lastUpdated` (Okta bumps the group's
`lastMembershipUpdated`; whether it also bumps the user's is not documented, so nothing relies on it):
the group list is therefore read whole every time (one page per 200 groups by default, up to 10,000
with `groups_page_size`, with `expand=stats` for the member counts), and a group whose timestamps
moved is brought up to date from the System Log's membership events when that gives Okta's member
count, or its members are read again (the membership cache, `idsync.sources.okta.cache`, and
`idsync.sources.okta.logged`).

Deletions: a deleted user never shows in the change filter again (only a deactivated one does, as
DEPROVISIONED), so each incremental read also asks the System Log for `user.lifecycle.delete.*`
events since the same moment, in the same request as the membership events (one request, usually one
page); a log that cannot be read (a token without access to it) or a cursor older than the log's reach
makes the read a full one.

The cursor, `lastUpdated=<Okta time>;read=<ISO time>;full=<ISO time>`, holds the latest
`lastUpdated` any user had in the previous read — Okta's own clock, so the local clock's skew does not
matter for the user filter — when that read started and when the last full read was. The System Log
is asked from the previous read's start (local clock) less the overlap: the overlap also covers a
local clock up to five minutes ahead of Okta's (keep the host on NTP). The next filter starts `OVERLAP`
earlier, because Okta's list index is eventually consistent (a change can show up in a listing a
moment after a later one): users in the overlap are read again, which is harmless. A full read
happens at least every `full_read_every_hours` (0: every read is full). App-scoped reads (`app_id`)
are always full: an app's user list has no change filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from idsync.domain.errors import SourceReadError, StopSyncError
from idsync.domain.progress import Progress
from idsync.domain.records import Snapshot
from idsync.sources.changes import Changes

if TYPE_CHECKING:
    from idsync.sources.okta.source import OktaSource

OVERLAP = timedelta(minutes=5)
"""How far before the previous read's latest `lastUpdated` the next filter starts (index lag)."""

LOG_REACH = timedelta(days=80)
"""How far back the System Log is asked for deletions; Okta keeps 90 days of it (and refuses `since`
more than 180 days back), so an older cursor means a full read."""

_EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass(frozen=True, slots=True)
class OktaCursor:
    """The latest user `lastUpdated` of the previous read, when that read started and when the last
    full read was (both by the local clock)."""

    last_updated: str
    read_at: datetime
    full_at: datetime

    def __str__(self) -> str:
        read, full = self.read_at.isoformat(), self.full_at.isoformat()
        return f"lastUpdated={self.last_updated};read={read};full={full}"

    @classmethod
    def parse(cls, text: str) -> OktaCursor | None:
        """The cursor, or None when it is not one this module wrote (the read is then a full one)."""
        fields = dict(part.partition("=")[::2] for part in text.split(";"))
        if set(fields) != {"lastUpdated", "read", "full"}:
            return None
        try:
            parse_time(fields["lastUpdated"])
            read_at, full_at = (datetime.fromisoformat(fields[k]) for k in ("read", "full"))
        except ValueError:
            return None
        if read_at.tzinfo is None or full_at.tzinfo is None:
            return None
        return cls(fields["lastUpdated"], read_at, full_at)


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
        mark = OktaCursor(latest_update(snapshot, _EPOCH), now, now)
        return Changes(str(mark), snapshot.users, snapshot.groups, snapshot)
    logged_since = cursor.read_at - OVERLAP
    if now - logged_since > LOG_REACH:
        # the System Log no longer holds every deletion since then: only a full read can tell
        return await read_changes(source, "", progress)
    try:
        logged = await source.logged_changes(format_time(logged_since))
    except (SourceReadError, StopSyncError):
        # no proof of who was deleted (a token whose admin may not read the System Log, say): read
        # everything (a token that is not valid at all then fails that read)
        return await read_changes(source, "", progress)
    since_changed = format_time(parse_time(cursor.last_updated) - OVERLAP)
    changed = await source.read_since(since_changed, progress, logged)
    mark = OktaCursor(latest_update(changed, cursor.last_updated), now, cursor.full_at)
    deleted = frozenset(logged.deleted - changed.users.keys())
    return Changes(str(mark), changed.users, changed.groups, None, deleted)

