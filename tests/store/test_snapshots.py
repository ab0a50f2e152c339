"""The stored source snapshot's encoding: written a slice to a line, read back a line at a time, one JSON
document with the single-document encoding's text but for the newlines, groups' members as places in
the users' list; blobs of the earlier encodings (one document, zlib, members by id) still decode, and a
blob with a section this version does not know fails to decode."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime

import orjson
import pytest
import zstandard

from idsync.domain.errors import SourceReadError
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.store import Store
from idsync.store.snapshots import INFLATE_CHUNK, EncodedSnapshot, decode, encode

READ_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _snapshot(users: int, groups: int, *, noise: int = 0) -> Snapshot:
    """`users` people and `groups` groups; `noise` bytes of random hex in each person's attributes."""
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
            f"00g{n:03d}", f"team-{n}", frozenset(ids[n::max(1, groups)]) | {"00gnested"},
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
