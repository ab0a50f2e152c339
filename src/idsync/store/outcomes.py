"""What a profile's rules made of each person of the source snapshot its last run planned from
(`rules_outcomes`), so that the next run evaluates only the people its read changed
(idsync.engine.rules_stage).

One row per profile:

- `key`: the rules it was made under (the profile's settings and the code of the rules, see
  `idsync.engine.rules_stage.outcome_key`). Under another key the row is not used.
- `snapshot_mark`: the stored source snapshot it was made of (`idsync.store.snapshots`: a digest of
  its blob). A run reuses the row only when its read was merged onto that very snapshot.
- `data`: the outcome as Zstandard-compressed JSON lines. The first line holds the reasons (each
  distinct `Reason` once; rows refer to them by position), the skipped people and those out of scope.
  Then one line per person in scope: `[source id, username, email, display name, active, properties,
  [group, reason, group, reason, ...], reason]`.

A line per person, so that a run which changed a hundred people writes the others' lines exactly as it
read them (`Lines`): at 150,000 people, encoding every person took ~0.8-0.95 s, and joining the lines
read ~0.2 s. That is also why the reasons table only grows while lines are reused: a reused line's
positions must keep meaning what they meant; an outcome encoded afresh (a run that evaluated everyone)
starts it anew.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
import structlog
import zstandard
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Engine

from idsync.domain.outcome import PeopleOutcome
from idsync.domain.records import DesiredUser, Reason
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import RulesOutcomeRow

_TABLE = cast(Table, RulesOutcomeRow.__table__)
log = structlog.get_logger(__name__)

FORMAT = 1
"""The version of the text below; a row of another version is not used (the run evaluates everyone)."""


@dataclass(frozen=True, slots=True)
class Lines:
    """What the next `encode` needs to reuse a decoded outcome's lines: the stored data itself (9 MB at
    150,000 people; inflated again, a chunk at a time, only to encode), where each person's line
    starts and ends in its text, in the order of the decoded outcome's users, and the reasons table
    the lines' positions refer to. Not a bytes object per line: 150,000 of them held ~60 MB through
    the run."""

    reasons: list[Reason]
    data: bytes
    spans: array[int]
    """Start and end of each person's line in the inflated text, two entries per person."""
    users: Mapping[str, DesiredUser]
    """The decoded records, in line order: a line is reused only for that very record."""


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """A profile's stored outcome, with the snapshot it was made of."""

    snapshot_mark: str
    outcome: PeopleOutcome
    lines: Lines


_BATCH = 1_000
"""Fresh lines joined at a time: orjson gives each `dumps` result a 4 KiB allocation whatever its
length, so 150,000 lines held one at a time took ~600 MB where their text is 36 MB."""

_CHUNK = 1 << 18
"""Compressed bytes inflated at a time (~1 MB of text): neither `decode` nor `encode` holds the whole
text (36 MB at 150,000 people), which a run would hold beside everything else it holds then."""


def encode(outcome: PeopleOutcome, reuse: Lines | None = None) -> bytes:
    """The outcome as `data`, reusing from `reuse` the line of each person whose record is the very one
    it decoded (both outcomes hold their people in id order: one walk through each; the reused lines
    of consecutive people are taken from the stored text as one piece). The text is compressed as it
    is made, never held whole."""
    reasons: list[Reason] = list(reuse.reasons) if reuse is not None else []
    by_value: dict[Reason, int] = {reason: i for i, reason in enumerate(reasons)}
    by_id: dict[int, int] = {}  # most reasons are one shared object per group: found by identity first

    def place(reason: Reason) -> int:
        position = by_id.get(id(reason))
        if position is None:
            position = by_value.get(reason)
            if position is None:
                position = by_value[reason] = len(reasons)
                reasons.append(reason)
            by_id[id(reason)] = position
        return position

    # First who is reused (their line's place in the stored text) and who is written afresh, and the
    # fresh people's reasons, so that the reasons table, the text's first line, is complete up front.
    plan: list[int | DesiredUser] = []
    if reuse is not None:
        old = iter(enumerate(reuse.users.items()))
        current = next(old, None)
        for sid, user in outcome.users.items():
            while current is not None and current[1][0] < sid:
                current = next(old, None)
            reused = current is not None and current[1][0] == sid and current[1][1] is user
            plan.append(current[0] if reused and current is not None else user)
    else:
        plan.extend(outcome.users.values())
    for entry in plan:
        if isinstance(entry, DesiredUser):
            for reason in entry.groups.values():
                place(reason)
            place(entry.reason)
    dumps = orjson.dumps
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    out = [compressor.compress(dumps({
        "format": FORMAT,
        "reasons": [[reason.rule, reason.detail] for reason in reasons],
        "skipped": list(outcome.skipped.items()),
        "out_of_scope": sorted(outcome.out_of_scope),
    }))]

    def emit(piece: bytes) -> None:
        out.append(compressor.compress(b"\n"))
        out.append(compressor.compress(piece))

    stored = _Text(reuse.data) if reuse is not None else None
    spans = reuse.spans if reuse is not None else array("L")
    fresh: list[bytes] = []
    first = last = -1  # the places of the first and last stored line of the run being reused
    for entry in plan:
        if isinstance(entry, int):
            if fresh:
                emit(b"\n".join(fresh))
                fresh.clear()
            if first >= 0 and last + 1 == entry:
                last = entry
                continue
            if first >= 0 and stored is not None:
                emit(stored.take(spans[2 * first], spans[2 * last + 1]))
            first = last = entry
            continue
        if first >= 0 and stored is not None:
            emit(stored.take(spans[2 * first], spans[2 * last + 1]))
            first = -1
        groups = [part for name, reason in entry.groups.items() for part in (name, place(reason))]
        fresh.append(dumps([entry.source_id, entry.username, entry.email, entry.display_name, entry.active,
                            entry.properties, groups, place(entry.reason)]))
        if len(fresh) >= _BATCH:
            emit(b"\n".join(fresh))
            fresh.clear()
    if first >= 0 and stored is not None:
        emit(stored.take(spans[2 * first], spans[2 * last + 1]))
    if fresh:
        emit(b"\n".join(fresh))
    out.append(compressor.flush())
    return b"".join(out)


class _Text:
    """A stored outcome's text, inflated a chunk at a time for pieces asked for in order."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._read = 0
        self._inflater = zstandard.ZstdDecompressor().decompressobj()
        self._buffer = bytearray()
        self._base = 0
        """Where in the text `_buffer` begins."""

    def take(self, start: int, end: int) -> bytes:
        """Text[start:end], for a `start` at or after the end of the last piece taken."""
        while self._base + len(self._buffer) < end and self._read < len(self._data):
            self._buffer += self._inflater.decompress(self._data[self._read:self._read + _CHUNK])
            self._read += _CHUNK
        if self._base + len(self._buffer) < end:
            raise ValueError(f"the stored outcome's text ends before {end}, where a line was said to end")
        piece = bytes(self._buffer[start - self._base:end - self._base])
        if end - self._base > _CHUNK:  # drop what was taken once it is worth the move
            del self._buffer[:end - self._base]
            self._base = end
        return piece


def _lines(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Each line of the inflated text with where it starts and ends, inflating a chunk at a time."""
    inflater = zstandard.ZstdDecompressor().decompressobj()
    pending = b""
    base = 0  # where `pending` begins
    for start in range(0, len(data), _CHUNK):
        pending += inflater.decompress(data[start:start + _CHUNK])
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield base, base + len(line), line
            base += len(line) + 1
    yield base, base + len(pending), pending


def decode(data: bytes) -> tuple[PeopleOutcome, Lines] | None:
    """The outcome `encode` wrote and its lines; None for a row of another format version."""
    lines = _lines(data)
    header: dict[str, Any] = orjson.loads(next(lines)[2])
    if header.get("format") != FORMAT:
        return None
    reasons = [Reason(rule, detail) for rule, detail in header["reasons"]]
    users: dict[str, DesiredUser] = {}
    spans = array("L")
    names: dict[str, str] = {}  # one string per group name, not one per membership (~55 MB at 150,000)
    loads, share = orjson.loads, names.setdefault
    for start, stop, line in lines:
        sid, username, email, display_name, active, properties, groups, reason = loads(line)
        parts = iter(groups)
        users[sid] = DesiredUser(
            sid, username, email, display_name, active, properties,
            {share(name, name): reasons[position] for name, position in zip(parts, parts, strict=True)},
            reasons[reason],
        )
        spans.extend((start, stop))
    outcome = PeopleOutcome(users, dict(header["skipped"]), frozenset(header["out_of_scope"]))
    return outcome, Lines(reasons, data, spans, users)


def load_outcome(engine: Engine, profile: str, key: str) -> StoredOutcome | None:
    """The stored outcome of `profile` if it was made under `key` (None: none, made otherwise, of another
    format version, or unreadable)."""
    query = select(_TABLE.c.key, _TABLE.c.snapshot_mark, _TABLE.c.data).where(_TABLE.c.profile == profile)
    with read_transaction(engine) as db:
        row = db.execute(query).first()
    if row is None or row.key != key:
        return None
    try:
        decoded = decode(row.data)
    except (zstandard.ZstdError, orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
        # Not the run's failure: the outcome only saves work, and without it the run evaluates everyone
        # (and stores the outcome anew), exactly as it would have without a row.
        log.warning("stored rules outcome unreadable, evaluating everyone", profile=profile,
                    error=f"{type(exc).__name__}: {exc}")
        return None
    return None if decoded is None else StoredOutcome(row.snapshot_mark, *decoded)


def save_outcome(
    engine: Engine, profile: str, key: str, snapshot_mark: str, data: bytes, *, saved_at: datetime
) -> None:
    """Store `data` (`encode`d) as the outcome of `profile` under `key`, made of `snapshot_mark`."""
    values = {"key": key, "snapshot_mark": snapshot_mark, "data": data, "saved_at": saved_at}
    with write_transaction(engine) as db:
        # values as execution parameters, never `.values(...)`: the compiled cache would keep the first
        # blob of each statement for the life of the process (docs/architecture.md)
        done = db.execute(update(_TABLE).where(_TABLE.c.profile == bindparam("b_profile")),
                          {"b_profile": profile, **values})
        if done.rowcount == 0:
            db.execute(insert(_TABLE), {"profile": profile, **values})
