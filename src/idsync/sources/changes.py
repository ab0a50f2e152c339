"""Incremental source reads: what changed since the last read, merged onto the stored snapshot.

A source that can tell what changed (Okta by `lastUpdated`, LDAP by `modifyTimestamp` / `uSNChanged`)
offers `read_changes(since, progress)`. `since` is the opaque cursor its previous read returned
(empty: read everything). The answer is a `Changes`:

    full  set      → a complete read: the stored snapshot is replaced (this is how deletions are seen,
                     since neither Okta's change filter nor LDAP reports a deleted entry)
    full  None     → `users` holds every user created or changed since the cursor; `groups` is the
                     complete group set with members, or None when no group changed

The engine keeps the last snapshot of each source connection in the store (`store/snapshots.py`) and
merges (`merge`). The guards and the diff therefore always reason over a complete picture: the stored
snapshot plus the changes. A source without a stored snapshot, or whose cursor is missing or too old
(`full_read_every_hours`), reads in full; a failed read raises and leaves the stored snapshot as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from idsync.domain.progress import Progress
from idsync.domain.records import Snapshot, SourceGroup, SourceUser


@dataclass(frozen=True, slots=True)
class Changes:
    """One incremental read (see the module docstring)."""

    cursor: str
    """Pass this as `since` next time."""
    users: Mapping[str, SourceUser]
    """Users created or changed since the cursor (every user on a full read), by id."""
    groups: Mapping[str, SourceGroup] | None
    """Every group with its members when any changed (always on a full read); None: unchanged."""
    full: Snapshot | None
    """Set when this was a full read: users missing from it are gone from the source."""
    deleted: frozenset[str] = frozenset()
    """Users the source reports deleted since the cursor (Okta's System Log; LDAP reports none)."""


@runtime_checkable
class IncrementalSource(Protocol):
    """A source that can read only what changed since a cursor."""

    name: str

    async def read_changes(self, since: str, progress: Progress) -> Changes:
        """Changes since `since` (empty: a full read). Complete, or raises SourceReadError."""
        ...


def merge(stored: Snapshot | None, changes: Changes, read_at: datetime) -> Snapshot:
    """The source as it is now: the full read itself, or `stored` with the changed users replaced and
    the groups replaced when they were read. Group members that are not (or no longer) users of the
    snapshot are dropped, as a full read drops them."""
    if changes.full is not None:
        return changes.full
    if stored is None:
        raise ValueError("an incremental read needs the stored snapshot it continues from")
    users = {**stored.users, **changes.users}
    for gone in changes.deleted:
        users.pop(gone, None)
    groups = stored.groups if changes.groups is None else changes.groups
    if changes.users or changes.deleted or changes.groups is not None:
        groups = _members_who_are_users(groups, stored.groups, users, changes.deleted)
    return Snapshot(stored.source, users, groups, read_at, scope=stored.scope)


def _members_who_are_users(
    groups: Mapping[str, SourceGroup], stored: Mapping[str, SourceGroup], users: Mapping[str, SourceUser],
    deleted: frozenset[str],
) -> dict[str, SourceGroup]:
    """`groups` with only the members who are `users`. A group read again with the members it had
    keeps the stored member set, which is known to hold users only (unless someone was deleted) and
    holds the users' own id strings, where a source's read holds copies (Okta's membership cache).
    Comparing the two sets is cheaper than testing the members against the users: the merge of a
    no-op run at 50,000 people took 0.05 s instead of 0.09–0.2 s (bench/sync_okta_jira.py)."""
    # set against set compares with the hashes the sets hold: at 150,000 people and 750,000
    # memberships about half the time of testing every group against the dict's keys view
    known = frozenset(users)
    merged: dict[str, SourceGroup] = {}
    for gid, group in groups.items():
        then = stored.get(gid)
        if then is group and not deleted:
            # the stored group itself (no group was read): its members are users already; `==` on two
            # sets compares every member even when they are one object
            merged[gid] = group
        elif then is not None and then.member_ids == group.member_ids and not deleted:
            same = then.name == group.name and then.attributes == group.attributes
            merged[gid] = then if same else replace(group, member_ids=then.member_ids)
        elif group.member_ids <= known:
            merged[gid] = group
        else:
            merged[gid] = SourceGroup(group.id, group.name, group.member_ids & known, group.attributes)
    return merged
