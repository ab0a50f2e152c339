"""The last snapshot of each source connection (`source_snapshots`), for incremental reads.

One row per connection: the cursor the next read continues from, and the users and groups as one
Zstandard-compressed JSON blob (orjson). One blob rather than a row per user because the snapshot is
always read and written whole: at 150,000 users a row per user costs seconds of inserts per run, the
blob a fraction of one. A run that changed nothing rewrites only the cursor.

Zstandard at level 1, not zlib: on a 50,000-person snapshot's 29.5 MB of text it compressed in 0.05 s
where zlib's fastest level took 0.25 s (8.2 MB against 9.6), and decompressed in 0.02 s against 0.09;
a run that changes anyone encodes the whole snapshot, so at 150,000 people that was most of a second
of each such run. Blobs that earlier versions wrote with zlib still decode.

Saving is conditional on the cursor the read started from (`expected`): two profiles reading the same
connection at once cannot overwrite a newer snapshot with an older one; the loser's save is skipped and
its next read continues from the newer row.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, cast

import orjson
import zstandard
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Engine

from idsync.domain.errors import SourceReadError
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import SourceSnapshotRow

_TABLE = cast(Table, SourceSnapshotRow.__table__)


@dataclass(frozen=True, slots=True)
class GroupRows:
    """The groups' rows of a decoded blob, each as the JSON text `encode` writes for it, with the group
    it decoded to: `encode` reuses the row of a group that is still that very object while the users'
    list still starts with the same people in the same places (`ids`), so a run that changed a hundred
    people does not turn 750,000 memberships into places again (at 150,000 people 0.31-0.35 s of the
    0.56-0.60 s an encode took; the rows' text is ~7 MB)."""

    ids: list[str]
    """The users' ids in the order the rows' places refer to."""
    rows: dict[str, tuple[SourceGroup, bytes]]
    """Group id → the group as decoded and its row's text."""


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A source connection's stored snapshot and the cursor to continue from."""

    cursor: str
    snapshot: Snapshot
    rows: GroupRows | None = None
    """The groups' rows as stored, for the encode of the snapshot merged from this one (None: the blob
    was written by an earlier version, with members by id)."""


SLICE = 2_000
"""Users (or groups) serialised at a time by `encode`."""

_USERS, _GROUPS_BY_INDEX, _END = b'{"users":[\n', b'],"groups_by_index":[\n', b"]}"
"""The lines that open the users, open the groups and close the document, in the text `encode` writes."""

_GROUPS = b'],"groups":[\n'
"""How earlier versions opened the groups, whose members they wrote as ids."""

INFLATE_CHUNK = 1 << 18
"""Compressed bytes `decode` inflates at a time (~1 MB of text at the snapshot's usual ratio)."""

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""How a Zstandard frame begins (a zlib stream begins with 0x78 at the levels zlib was used at)."""


def encode(snapshot: Snapshot, *, slice_size: int = SLICE, reuse: GroupRows | None = None) -> bytes:
    """The users and groups as compressed JSON (ids, statuses, attributes, members):
    `{"users":[[id, status, attributes], ...], "groups_by_index":[[id, name, positions, others,
    attributes], ...]}`, where a group's `positions` are its members who are users, as the sorted
    places of those users in the users' list, and `others` the sorted ids of any other members.

    Members as places, not ids: the id strings were two thirds of the text (150,000 people in 750,000
    memberships: the groups' JSON 22.2 MB instead of 7.1), and sorting, writing, parsing and
    de-duplicating them cost ~0.5 s of every run that changed anyone. The section has its own name
    (earlier versions wrote `groups`, with member ids), so a version that does not know it fails to
    read the blob instead of misreading places as ids.

    Written `slice_size` records to a line: `{"users":[`, then one line per slice (each after the first
    starting with the comma that separates it from the one before), `],"groups_by_index":[`, the
    groups' lines, `]}`. The text is one JSON document (a newline is whitespace to JSON, and JSON text
    never holds a raw one inside a string), so a single `orjson.loads` reads it; the lines are what let
    `decode` read it a slice at a time. Neither side ever holds the whole text: at 150,000 people it is
    ~55 MB, and held whole with the lists parsed from it, a decode's peak was 165 MiB above what the
    decoded snapshot keeps.

    `reuse`: the rows of the blob this snapshot was merged from (`GroupRows`); a group it holds as the
    same object keeps its row's text, when the users' list begins with the same ids in the same places.
    """
    # Compressed on every core (zstd's own worker threads, outside the GIL): the text of 150,000
    # people is ~73 MB, and one thread took 0.16-0.2 s of the encode for it; the frame is the same size
    compressor = zstandard.ZstdCompressor(level=1, threads=-1).compressobj()
    parts: list[bytes] = []

    def emit(text: bytes) -> None:
        parts.append(compressor.compress(text))

    def lines(rows: Iterator[list[Any]]) -> None:
        separator = b""
        while chunk := list(islice(rows, slice_size)):
            emit(separator + orjson.dumps(chunk)[1:-1] + b"\n")  # the items without the brackets
            separator = b","

    kept = reuse.rows if reuse is not None and _same_places(reuse.ids, snapshot.users) else {}
    places: list[dict[str, int]] = []  # made when the first group needs it

    def group_text(group: SourceGroup) -> bytes:
        stored = kept.get(group.id)
        if stored is not None and stored[0] is group:
            return stored[1]
        if not places:
            places.append({uid: n for n, uid in enumerate(snapshot.users)})
        place = places[0]
        positions = list(map(place.get, group.member_ids))
        others: list[str] = []
        if None in positions:  # members the users' list does not hold (rare: Okta groups hold users)
            others = sorted(m for m in group.member_ids if m not in place)
            positions = [p for p in positions if p is not None]
        positions.sort()
        return orjson.dumps([group.id, group.name, positions, others, group.attributes])

    emit(_USERS)
    lines([u.id, u.status, u.attributes] for u in snapshot.users.values())
    emit(_GROUPS_BY_INDEX)
    # each group's row as text, joined as `lines` joins rows (orjson writes no whitespace: the items of
    # a dumped list are the dumped items and commas)
    texts = map(group_text, snapshot.groups.values())
    separator = b""
    while chunk := list(islice(texts, slice_size)):
        emit(separator + b",".join(chunk) + b"\n")
        separator = b","
    emit(_END)
    parts.append(compressor.flush())
    return b"".join(parts)


def _same_places(ids: list[str], users: Mapping[str, SourceUser]) -> bool:
    """Whether the users' list begins with `ids`, in that order (nobody before them left or moved)."""
    return len(users) >= len(ids) and list(islice(users, len(ids))) == ids


def decode(source: str, scope: str, read_at: datetime, data: bytes) -> Snapshot:
    """The snapshot `encode` wrote (or an earlier version's, with member ids), a line at a time."""
    return decode_with_rows(source, scope, read_at, data)[0]


def decode_with_rows(
    source: str, scope: str, read_at: datetime, data: bytes
) -> tuple[Snapshot, GroupRows | None]:
    """`decode`, and the groups' rows for the next `encode` to reuse (None for an earlier version's
    blob, whose members are ids). Each row is written again from what it parsed to: ~0.01 s for 5,000
    groups, where making their places again costs an encode ~0.3 s."""
    users: dict[str, SourceUser] = {}
    groups: dict[str, SourceGroup] = {}
    section = _USERS
    ids: list[str] = []
    texts: dict[str, tuple[SourceGroup, bytes]] | None = None
    for rows in _slices(data):
        if isinstance(rows, bytes):
            section, ids = rows, list(users)
        elif section is _USERS:
            users.update((uid, SourceUser(uid, status, attributes)) for uid, status, attributes in rows)
        elif section is _GROUPS_BY_INDEX:
            # a member who is a user is held as the user's own id string (the one in `ids`), not a
            # second copy of it (750,000 memberships: ~50 MB at 150,000 people)
            if texts is None:
                texts = {}
            for row in rows:
                gid, name, positions, others, attributes = row
                groups[gid] = group = SourceGroup(gid, name, _members(ids, positions, others), attributes)
                texts[gid] = (group, orjson.dumps(row))
        else:  # `_GROUPS`, as earlier versions wrote it: members by id
            groups.update(
                (gid, SourceGroup(gid, name, frozenset(users[m].id if m in users else m for m in members),
                                  attributes))
                for gid, name, members, attributes in rows
            )
    snapshot = Snapshot(source, users, groups, read_at, scope=scope)
    return snapshot, None if texts is None else GroupRows(ids, texts)


def _members(ids: list[str], positions: list[int], others: list[str]) -> frozenset[str]:
    """A group's members: the users at `positions` in the users' list, and `others`."""
    members = frozenset(map(ids.__getitem__, positions))
    return members.union(others) if others else members


def _slices(data: bytes) -> Iterator[Any]:
    """The users' rows a slice at a time, then the groups' mark (`_GROUPS_BY_INDEX`, or `_GROUPS` in
    an earlier version's blob), then the groups' rows a slice at a time.

    A blob from before the lines (one `orjson.dumps` of the whole document, starting `{"users":[` with
    no newline, groups by member id) is read whole; a blob from before Zstandard is inflated with zlib."""
    inflater: Any = zstandard.ZstdDecompressor().decompressobj() if data.startswith(_ZSTD_MAGIC) \
        else zlib.decompressobj()
    head = inflater.decompress(data[:INFLATE_CHUNK])  # (a first chunk's text is far longer than the mark)
    if not head.startswith(_USERS):
        rest = inflater.decompress(data[INFLATE_CHUNK:]) + inflater.flush()
        body: dict[str, Any] = orjson.loads(b"".join((head, rest)))
        yield body["users"]
        yield _GROUPS
        yield body["groups"]
        return
    pending = head
    for start in range(INFLATE_CHUNK, len(data) + INFLATE_CHUNK, INFLATE_CHUNK):
        if start < len(data):
            pending += inflater.decompress(data[start:start + INFLATE_CHUNK])
        else:
            pending += inflater.flush()
        *complete, pending = pending.split(b"\n")
        yield from (rows for line in complete if (rows := _rows(line)) is not None)
    if (rows := _rows(pending)) is not None:
        yield rows


_MARKS = {mark[:-1]: mark for mark in (_GROUPS, _GROUPS_BY_INDEX)}
"""The groups' opening marks `decode` knows, as they stand on their line (without the newline)."""


def _rows(line: bytes) -> Any:
    """What one line of `encode`'s text holds: its rows, a groups' opening mark, or None (the users'
    opening mark, the end). A line that opens a section this version does not know fails the read."""
    if not line or line == _USERS[:-1] or line == _END:
        return None
    if line.startswith(b"]"):  # a mark: rows never start with one
        if line not in _MARKS:
            # a failed read (the run stops, nothing is written), never a snapshot read wrong
            raise SourceReadError(
                f"the stored source snapshot has a section this version of idsync does not know "
                f"({line.decode(errors='replace')[:40]!r}): a newer version wrote it; run that version, "
                "or read the source in full (idsync sync --full-read)"
            )
        return _MARKS[line]
    return orjson.loads(b"[" + line.removeprefix(b",") + b"]")


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
    return StoredSnapshot(cursor, *decode_with_rows(connection, scope, read_at, data))


def load_cursor(engine: Engine, connection: str) -> str | None:
    """The stored cursor of `connection` alone (None: no snapshot stored), without the snapshot."""
    with read_transaction(engine) as db:
        cursor: str | None = db.execute(
            select(_TABLE.c.cursor).where(_TABLE.c.connection == connection)
        ).scalar()
    return cursor


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    """A snapshot as `save_snapshot` stores it: what the run can hand to a background save without
    keeping the snapshot's records alive until the save is done."""

    scope: str
    users: int
    data: bytes

    @classmethod
    def of(cls, snapshot: Snapshot, reuse: GroupRows | None = None) -> EncodedSnapshot:
        """`snapshot`, encoded (reusing the rows of the stored blob it was merged from: `encode`)."""
        return cls(snapshot.scope, len(snapshot.users), encode(snapshot, reuse=reuse))


def save_snapshot(
    engine: Engine, connection: str, cursor: str, snapshot: EncodedSnapshot | None, *,
    expected: str | None, read_at: datetime,
) -> bool:
    """Store `snapshot`, encoded before the transaction so that the write lock is held for the write
    only (None: keep the stored one, move only the cursor and its time), if the stored cursor is still
    `expected` (None: there was no row). False when another read got there first."""
    values: dict[str, Any] = {"cursor": cursor, "read_at": read_at}
    if snapshot is not None:
        values |= {"scope": snapshot.scope, "data": snapshot.data, "users": snapshot.users}
    with write_transaction(engine) as db:
        current = db.execute(select(_TABLE.c.cursor).where(_TABLE.c.connection == connection)).scalar()
        if current != expected:
            return False
        # values as execution parameters, never `.values(...)`: the compiled cache would keep the first
        # blob of each statement for the life of the process (docs/architecture.md)
        if current is None:
            if snapshot is None:
                raise ValueError("the first save of a source snapshot needs the snapshot")
            db.execute(insert(_TABLE), {"connection": connection, **values})
        else:
            db.execute(update(_TABLE).where(_TABLE.c.connection == bindparam("b_connection")),
                       {"b_connection": connection, **values})
    return True


def drop_snapshot(engine: Engine, connection: str) -> None:
    """Forget the stored snapshot: the next read of `connection` is a full one."""
    with write_transaction(engine) as db:
        db.execute(_TABLE.delete().where(_TABLE.c.connection == connection))
