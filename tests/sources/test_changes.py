"""Merging an incremental read onto the stored snapshot (idsync.sources.changes.merge): the result is
the source as a full read would show it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.sources.changes import Changes, merge

READ_AT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _user(uid: str, login: str | None = None, status: str = "ACTIVE") -> SourceUser:
    return SourceUser(uid, status, {"login": login or f"{uid}@example.com"})


def _stored() -> Snapshot:
    users = {uid: _user(uid) for uid in ("u1", "u2", "u3")}
    groups = {
        "g1": SourceGroup("g1", "eng", frozenset({"u1", "u2"})),
        "g2": SourceGroup("g2", "ops", frozenset({"u3"}), {"description": "on call"}),
    }
    return Snapshot("okta", users, groups, datetime(2026, 12, 3, tzinfo=UTC), scope="all")


def test_changed_users_replace_the_stored_ones_and_new_ones_join() -> None:
    stored = _stored()
    renamed, hired = _user("u2", "kim@example.com"), _user("u4")
    merged = merge(stored, Changes("c2", {"u2": renamed, "u4": hired}, None, None), READ_AT)
    assert merged.users == {**stored.users, "u2": renamed, "u4": hired}
    assert merged.groups == stored.groups
    assert (merged.read_at, merged.scope, merged.source) == (READ_AT, "all", "okta")


def test_a_deleted_user_leaves_the_users_and_every_group() -> None:
    merged = merge(_stored(), Changes("c2", {}, None, None, deleted=frozenset({"u1"})), READ_AT)
    assert set(merged.users) == {"u2", "u3"}
    assert merged.groups["g1"] == SourceGroup("g1", "eng", frozenset({"u2"}))
    assert merged.groups["g2"].member_ids == frozenset({"u3"})


def test_groups_read_again_replace_the_stored_ones_dropping_members_who_are_not_users() -> None:
    # Okta lists a member the user listing has not shown (yet): a full read leaves such a member
    # out, and so does the merge
    groups = {
        "g1": SourceGroup("g1", "eng", frozenset({"u1", "u9"})),
        "g3": SourceGroup("g3", "new", frozenset({"u2", "u3"}), {"description": "fresh"}),
    }
    merged = merge(_stored(), Changes("c2", {}, groups, None), READ_AT)
    assert merged.groups == {
        "g1": SourceGroup("g1", "eng", frozenset({"u1"})),
        "g3": groups["g3"],
    }
    assert merged.groups["g3"] is groups["g3"]  # whole groups are kept as they were read
    assert isinstance(merged.groups["g1"].member_ids, frozenset)


def test_a_group_read_again_with_the_members_it_had_keeps_the_stored_member_set() -> None:
    stored = _stored()
    again = {
        "g1": SourceGroup("g1", "eng", frozenset({"u1", "u2"})),
        "g2": SourceGroup("g2", "ops-renamed", frozenset({"u3"}), {"description": "on call"}),
    }
    merged = merge(stored, Changes("c2", {}, again, None), READ_AT)
    assert merged.groups == again
    assert merged.groups["g1"] is stored.groups["g1"]
    # renamed: the new name, with the stored members (the same people, held once)
    assert merged.groups["g2"].member_ids is stored.groups["g2"].member_ids


def test_a_user_deleted_while_their_groups_are_read_again_leaves_those_groups() -> None:
    stored = _stored()
    again = {gid: SourceGroup(g.id, g.name, frozenset(g.member_ids), g.attributes)
             for gid, g in stored.groups.items()}
    merged = merge(stored, Changes("c2", {}, again, None, deleted=frozenset({"u2"})), READ_AT)
    assert merged.groups["g1"].member_ids == frozenset({"u1"})
    assert merged.groups["g2"] == stored.groups["g2"]


def test_a_full_read_is_the_snapshot_itself() -> None:
    full = _stored()
    assert merge(None, Changes("c1", full.users, full.groups, full), READ_AT) is full


def test_an_incremental_read_without_a_stored_snapshot_is_refused() -> None:
    with pytest.raises(ValueError, match="stored snapshot"):
        merge(None, Changes("c2", {}, None, None), READ_AT)
