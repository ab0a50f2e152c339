"""The stored source snapshot's encoding: written in slices, read back whole, and the same text as the
single-document encoding earlier versions stored (so their blobs still decode)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import orjson
import pytest

from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.store.snapshots import decode, encode

READ_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _snapshot(users: int, groups: int) -> Snapshot:
    people = {
        f"00u{n:04d}": SourceUser(f"00u{n:04d}", "ACTIVE" if n % 3 else "SUSPENDED", {
            "login": f"person{n}@example.com", "displayName": f"Zoë „{n}“ Ørsted", "title": None,
            "costCenter": n, "manager": {"id": "00u0000"} if n else None, "tags": ["a", n],
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
    """The encoding before it was sliced: one orjson.dumps of the whole document."""
    return orjson.dumps({
        "users": [[u.id, u.status, u.attributes] for u in snapshot.users.values()],
        "groups": [[g.id, g.name, sorted(g.member_ids), g.attributes] for g in snapshot.groups.values()],
    })


@pytest.mark.parametrize(("users", "groups", "slice_size"), [
    (0, 0, 2), (1, 0, 2), (0, 3, 2), (7, 5, 2), (7, 5, 3), (6, 4, 6), (25, 9, 1000),
])
def test_sliced_text_is_the_whole_documents_text(users: int, groups: int, slice_size: int) -> None:
    snapshot = _snapshot(users, groups)
    assert zlib.decompress(encode(snapshot, slice_size=slice_size)) == _whole_document(snapshot)


@pytest.mark.parametrize("slice_size", [1, 4, 2000])
def test_round_trip(slice_size: int) -> None:
    snapshot = _snapshot(23, 6)
    back = decode("okta", "", READ_AT, encode(snapshot, slice_size=slice_size))
    assert back.users == snapshot.users
    assert back.groups == snapshot.groups
    assert list(back.users) == list(snapshot.users)


def test_a_blob_of_the_earlier_encoding_decodes() -> None:
    snapshot = _snapshot(11, 4)
    back = decode("okta", "", READ_AT, zlib.compress(_whole_document(snapshot), 1))
    assert back.users == snapshot.users and back.groups == snapshot.groups


def test_members_who_are_users_share_the_users_id_string() -> None:
    back = decode("okta", "", READ_AT, encode(_snapshot(9, 3), slice_size=2))
    for group in back.groups.values():
        for member in group.member_ids:
            if member in back.users:
                assert member is back.users[member].id
