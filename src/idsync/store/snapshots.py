"""The last snapshot of each source connection (`source_snapshots`), for incremental reads.

One row per connection: the cursor the next read continues from, and the users and groups as one
zlib-compressed JSON blob (orjson). One blob rather than a row per user because the snapshot is always
read and written whole: at 150,000 users a row per user costs seconds of inserts per run, the blob
a fraction of one. A run that changed nothing rewrites only the cursor.

Saving is conditional on the cursor the read started from (`expected`): two profiles reading the same
connection at once cannot overwrite a newer snapshot with an older one; the loser's save is skipped and
its next read continues from the newer row.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Engine

from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import SourceSnapshotRow

_TABLE = cast(Table, SourceSnapshotRow.__table__)


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A source connection's stored snapshot and the cursor to continue from."""

    cursor: str
    snapshot: Snapshot


SLICE = 2_000
"""Users (or groups) serialised at a time by `encode`."""


def encode(snapshot: Snapshot, *, slice_size: int = SLICE) -> bytes:
    """The users and groups as compressed JSON (ids, statuses, attributes, sorted member ids):
    `{"users": [[id, status, attributes], ...], "groups": [[id, name, members, attributes], ...]}`.

    Serialised and compressed `slice_size` records at a time, so that the whole JSON text is never held
    at once: at 150,000 people it is ~70 MB, and the save runs in a thread while the run plans, so the
    text and the lists it was made from added ~100 MiB to a change run's peak. The text is byte for byte
    the one a single `orjson.dumps` of the document gives (a JSON array is its items joined by commas),
    so `decode` reads blobs of either kind."""
    compressor = zlib.compressobj(1)
    parts: list[bytes] = []

    def emit(text: bytes) -> None:
        parts.append(compressor.compress(text))

    def array(rows: Iterator[list[Any]]) -> None:
        first = True
        while chunk := list(islice(rows, slice_size)):
            if not first:
                emit(b",")
            emit(orjson.dumps(chunk)[1:-1])  # the items without the brackets
            first = False

    emit(b'{"users":[')
    array([u.id, u.status, u.attributes] for u in snapshot.users.values())
    emit(b'],"groups":[')
    array([g.id, g.name, sorted(g.member_ids), g.attributes] for g in snapshot.groups.values())
    emit(b"]}")
    parts.append(compressor.flush())
    return b"".join(parts)


def decode(source: str, scope: str, read_at: datetime, data: bytes) -> Snapshot:
    """The snapshot `encode` wrote."""
    body: dict[str, Any] = orjson.loads(zlib.decompress(data))
    users = {uid: SourceUser(uid, status, attributes) for uid, status, attributes in body["users"]}
    # a member who is a user is held as the user's own id string, not a second copy of it (750,000
    # memberships: ~50 MB at 150,000 people)
    groups = {
        gid: SourceGroup(gid, name, frozenset(users[m].id if m in users else m for m in members), attributes)
        for gid, name, members, attributes in body["groups"]
    }
    return Snapshot(source, users, groups, read_at, scope=scope)


def load_snapshot(engine: Engine, connection: str) -> StoredSnapshot | None:
    """The stored snapshot of `connection`, or None when there is none."""
    query = select(_TABLE.c.cursor, _TABLE.c.scope, _TABLE.c.read_at, _TABLE.c.data).where(
        _TABLE.c.connection == connection
    )
    with read_transaction(engine) as db:
        row = db.execute(query).first()
    if row is None:
        return None
    cursor, scope, read_at, data = row
    return StoredSnapshot(cursor, decode(connection, scope, read_at, data))


def load_cursor(engine: Engine, connection: str) -> str | None:
    """The stored cursor of `connection` alone (None: no snapshot stored), without the snapshot."""
    with read_transaction(engine) as db:
        cursor: str | None = db.execute(
            select(_TABLE.c.cursor).where(_TABLE.c.connection == connection)
        ).scalar()
    return cursor


def save_snapshot(
    engine: Engine, connection: str, cursor: str, snapshot: Snapshot | None, *, expected: str | None,
    read_at: datetime,
) -> bool:
    """Store `snapshot` (None: keep the stored one, move only the cursor and its time) if the stored
    cursor is still `expected` (None: there was no row). False when another read got there first."""
    values: dict[str, Any] = {"cursor": cursor, "read_at": read_at}
    if snapshot is not None:
        # encoded before the transaction: the write lock is held for the write only
        values |= {"scope": snapshot.scope, "data": encode(snapshot), "users": len(snapshot.users)}
    with write_transaction(engine) as db:
        current = db.execute(select(_TABLE.c.cursor).where(_TABLE.c.connection == connection)).scalar()
        if current != expected:
            return False
        if current is None:
            if snapshot is None:
                raise ValueError("the first save of a source snapshot needs the snapshot")
            db.execute(insert(_TABLE).values(connection=connection, **values))
        else:
            db.execute(update(_TABLE).where(_TABLE.c.connection == connection).values(**values))
    return True


def drop_snapshot(engine: Engine, connection: str) -> None:
    """Forget the stored snapshot: the next read of `connection` is a full one."""
    with write_transaction(engine) as db:
        db.execute(_TABLE.delete().where(_TABLE.c.connection == connection))
