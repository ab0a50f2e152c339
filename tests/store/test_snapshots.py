"""The stored source snapshot's encoding: written a slice to a line, read back a line at a time, one JSON
document with the single-document encoding's text but for the newlines, groups' members as places in
the users' list; blobs of the earlier encodings (one document, zlib, members by id) still decode, and a
blob with a section this version does not know fails to decode; the encode of a snapshot merged from a
decoded one reuses the rows of the groups it kept, and only those, while the places still hold."""

from __future__ import annotations

import random
import zlib
from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
import zstandard

from idsync.domain.errors import SourceReadError
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.sources.changes import Changes, merge
from idsync.store import Store
from idsync.store.snapshots import (
    INFLATE_CHUNK,
    EncodedSnapshot,
    GroupRows,
    decode,
    decode_with_rows,
    encode,
)

READ_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _snapshot(users: int, groups: int, *, noise: int = 0, nested: bool = True) -> Snapshot:
    """`users` people and `groups` groups (each with a member who is no user, unless not `nested`);
    `noise` bytes of random hex in each person's attributes."""
    people = {
        f"00u{n:04d}": SourceUser(f"00u{n:04d}", "ACTIVE" if n % 3 else "SUSPENDED", {
            "login": f"person{n}@example.com", "displayName": f"Zoë „{n}“ Ørsted", "title": None,
            "costCenter": n, "manager": {"id": "00u0000"} if n else None, "tags": ["a", n],
            "noise": random.Random(n).randbytes(noise).hex(),
        })
        for n in range(users)
    }
    ids = sorted(people)
    teams = {
        f"00g{n:03d}": SourceGroup(
            f"00g{n:03d}", f"team-{n}",
            frozenset(ids[n::max(1, groups)]) | ({"00gnested"} if nested else set()),
            {"description": None if n % 2 else "ops"},
        )
        for n in range(groups)
    }
    return Snapshot("okta", people, teams, READ_AT, scope="")


def _whole_document(snapshot: Snapshot) -> bytes:
    """The document `encode` writes, as one orjson.dumps: members who are users by their place in the
    users' list, any others by id."""
    place = {uid: n for n, uid in enumerate(snapshot.users)}
    return orjson.dumps({
        "users": [[u.id, u.status, u.attributes] for u in snapshot.users.values()],
        "groups_by_index": [
            [g.id, g.name, sorted(place[m] for m in g.member_ids if m in place),
             sorted(m for m in g.member_ids if m not in place), g.attributes]
            for g in snapshot.groups.values()
        ],
    })


def _earlier_document(snapshot: Snapshot) -> bytes:
    """The encoding before it was sliced: one orjson.dumps of the whole document, members by id."""
    return orjson.dumps({
        "users": [[u.id, u.status, u.attributes] for u in snapshot.users.values()],
        "groups": [[g.id, g.name, sorted(g.member_ids), g.attributes] for g in snapshot.groups.values()],
    })


def _earlier_lines(snapshot: Snapshot) -> bytes:
    """The sliced encoding before members were places (a slice of one record per line)."""
    def rows(records: list[list[object]]) -> bytes:
        return b"\n,".join(orjson.dumps(r) for r in records)
    users = rows([[u.id, u.status, u.attributes] for u in snapshot.users.values()])
    groups = rows([[g.id, g.name, sorted(g.member_ids), g.attributes] for g in snapshot.groups.values()])
    return b'{"users":[\n' + users + b'\n],"groups":[\n' + groups + b"\n]}"


@pytest.mark.parametrize(("users", "groups", "slice_size"), [
    (0, 0, 2), (1, 0, 2), (0, 3, 2), (7, 5, 2), (7, 5, 3), (6, 4, 6), (25, 9, 1000),
])
def test_sliced_text_is_the_whole_documents_text_on_lines(users: int, groups: int, slice_size: int) -> None:
    snapshot = _snapshot(users, groups)
    text = _text(encode(snapshot, slice_size=slice_size))
    assert text.replace(b"\n", b"") == _whole_document(snapshot)
    assert orjson.loads(text) == orjson.loads(_whole_document(snapshot))
    lines = text.split(b"\n")
    slices = -(-users // slice_size) + -(-groups // slice_size)
    assert len(lines) == 3 + slices  # the users' mark, the groups' mark, the end, and a line per slice


def _text(blob: bytes) -> bytes:
    """The JSON text of a blob `encode` wrote (one Zstandard frame)."""
    return zstandard.ZstdDecompressor().decompressobj().decompress(blob)


@pytest.mark.parametrize("slice_size", [1, 4, 2000])
def test_round_trip(slice_size: int) -> None:
    snapshot = _snapshot(23, 6)
    back = decode("okta", "", READ_AT, encode(snapshot, slice_size=slice_size))
    assert back.users == snapshot.users
    assert back.groups == snapshot.groups
    assert list(back.users) == list(snapshot.users)


@pytest.mark.parametrize(("users", "groups"), [(11, 4), (0, 0), (3000, 40)])
def test_a_blob_of_the_earlier_encoding_decodes(users: int, groups: int) -> None:
    snapshot = _snapshot(users, groups)
    back = decode("okta", "", READ_AT, zlib.compress(_earlier_document(snapshot), 1))
    assert back.users == snapshot.users and back.groups == snapshot.groups


def test_a_zlib_blob_of_the_lines_decodes() -> None:
    """The lines as a version between the two compressions stored them: zlib-compressed, members by id."""
    snapshot = _snapshot(40, 6)
    assert orjson.loads(_earlier_lines(snapshot)) == orjson.loads(_earlier_document(snapshot))
    back = decode("okta", "", READ_AT, zlib.compress(_earlier_lines(snapshot), 1))
    assert back.users == snapshot.users and back.groups == snapshot.groups


def test_a_zstandard_blob_of_lines_with_members_by_id_decodes() -> None:
    """As the version before members were places stored it."""
    snapshot = _snapshot(40, 6)
    back = decode("okta", "", READ_AT, zstandard.ZstdCompressor(level=1).compress(_earlier_lines(snapshot)))
    assert back.users == snapshot.users and back.groups == snapshot.groups
    for group in back.groups.values():
        assert all(m is back.users[m].id for m in group.member_ids if m in back.users)


def test_members_who_are_not_users_are_kept_by_id() -> None:
    snapshot = _snapshot(5, 2)
    assert all("00gnested" in g.member_ids for g in snapshot.groups.values())
    text = _text(encode(snapshot))
    assert text.count(b'"00gnested"') == 2
    back = decode("okta", "", READ_AT, encode(snapshot))
    assert back.groups == snapshot.groups


def test_a_section_this_version_does_not_know_fails_the_decode() -> None:
    """A newer version's blob is refused by name, never read as if it were this version's."""
    text = _text(encode(_snapshot(4, 2))).replace(b'],"groups_by_index":[', b'],"groups_v9":[')
    with pytest.raises(SourceReadError, match=r"groups_v9.*newer version.*--full-read"):
        decode("okta", "", READ_AT, zstandard.ZstdCompressor(level=1).compress(text))


def test_a_blob_longer_than_the_inflated_chunk_decodes_across_chunk_ends() -> None:
    """Random attribute text barely compresses, so the blob spans several of decode's chunks and lines
    break across them."""
    snapshot = _snapshot(300, 7, noise=3000)
    blob = encode(snapshot, slice_size=16)
    assert len(blob) > 3 * INFLATE_CHUNK
    back = decode("okta", "", READ_AT, blob)
    assert back.users == snapshot.users and back.groups == snapshot.groups
    assert list(back.users) == list(snapshot.users)


def test_members_who_are_users_share_the_users_id_string() -> None:
    back = decode("okta", "", READ_AT, encode(_snapshot(9, 3), slice_size=2))
    for group in back.groups.values():
        for member in group.member_ids:
            if member in back.users:
                assert member is back.users[member].id


def test_an_encoded_snapshot_is_stored_as_the_snapshot_would_be(store: Store) -> None:
    """What a run hands its background save (`EncodedSnapshot`) reads back as the snapshot itself."""
    snapshot = _snapshot(12, 3)
    store.save_source_snapshot("okta", "c1", EncodedSnapshot.of(snapshot), expected=None, read_at=READ_AT)
    loaded = store.source_snapshot("okta")
    assert loaded is not None and loaded.cursor == "c1"
    assert loaded.snapshot.users == snapshot.users and loaded.snapshot.groups == snapshot.groups


def _merged_from(
    stored: Snapshot, *, change: str, leave: str | None = None, join: str | None = None
) -> Snapshot:
    """`stored` merged with a read (`idsync.sources.changes.merge`) in which one group's members changed
    and a person's record did; `leave`: that person was deleted, `join`: one was created. The merge keeps
    every other group as the very object decoded (when someone was deleted, those they were not in)."""
    users = {"00u0003": replace(stored.users["00u0003"], status="DEPROVISIONED")}
    if join is not None:
        users[join] = SourceUser(join, "ACTIVE", {"login": f"{join}@example.com"})
    groups = dict(stored.groups)
    groups[change] = replace(groups[change], member_ids=groups[change].member_ids - {"00u0005"})
    deleted = frozenset({leave} if leave else ())
    return merge(stored, Changes("c2", users, groups, None, deleted), READ_AT)


@pytest.mark.parametrize(("leave", "join"), [(None, None), (None, "00u9999"), ("00u0001", None)])
def test_an_encode_reusing_the_stored_rows_writes_what_a_fresh_encode_writes(
    leave: str | None, join: str | None,
) -> None:
    """A person who joined goes at the end (the places hold); one who left moves everyone after them
    (no stored row may be reused then, or its places would name the wrong people)."""
    stored, rows = decode_with_rows("okta", "", READ_AT, encode(_snapshot(30, 6, nested=False), slice_size=4))
    assert rows is not None and set(rows.rows) == set(stored.groups)
    merged = _merged_from(stored, change="00g002", leave=leave, join=join)
    assert merged.groups["00g004"] is stored.groups["00g004"]
    reused = encode(merged, slice_size=4, reuse=rows)
    assert _text(reused) == _text(encode(merged, slice_size=4))
    back = decode("okta", "", READ_AT, reused)
    assert back.users == merged.users and back.groups == merged.groups


def test_the_row_of_a_group_kept_as_decoded_is_reused_and_a_changed_ones_is_not() -> None:
    """Shown by a stored row whose text says something else than its group: only the kept group,
    still the same object, takes it."""
    stored, rows = decode_with_rows("okta", "", READ_AT, encode(_snapshot(10, 3, nested=False)))
    assert rows is not None
    marked = {gid: (group, text.replace(b'"team-', b'"stored-team-'))
              for gid, (group, text) in rows.rows.items()}
    merged = _merged_from(stored, change="00g002")
    back = decode("okta", "", READ_AT, encode(merged, reuse=GroupRows(rows.ids, marked)))
    assert {gid: g.name for gid, g in back.groups.items()} == {
        "00g000": "stored-team-0", "00g001": "stored-team-1", "00g002": "team-2"}
    # the same rows, once someone before the last people has left: nothing is taken from them
    merged = _merged_from(stored, change="00g002", leave="00u0000")
    assert merged.groups["00g001"] is stored.groups["00g001"]
    back = decode("okta", "", READ_AT, encode(merged, reuse=GroupRows(rows.ids, marked)))
    assert back.groups == merged.groups


def test_an_earlier_versions_blob_has_no_rows_to_reuse() -> None:
    snapshot = _snapshot(8, 2)
    back, rows = decode_with_rows("okta", "", READ_AT, zlib.compress(_earlier_document(snapshot), 1))
    assert rows is None and back.groups == snapshot.groups


def test_the_stored_snapshot_carries_its_rows(store: Store) -> None:
    snapshot = _snapshot(12, 3)
    store.save_source_snapshot("okta", "c1", EncodedSnapshot.of(snapshot), expected=None, read_at=READ_AT)
    loaded = store.source_snapshot("okta")
    assert loaded is not None and loaded.rows is not None
    assert loaded.rows.ids == list(snapshot.users)
    assert {gid: group for gid, (group, _) in loaded.rows.rows.items()} == loaded.snapshot.groups
