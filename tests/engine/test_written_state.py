"""What the rules made of the previous snapshot for the people who changed (written_state.previous_of):
the incremental run's view of what idsync last wrote. Plain records, no servers."""

from __future__ import annotations

from dataclasses import replace

from idsync.domain.records import Snapshot
from idsync.engine.written_state import previous_of
from idsync.sources.changes import Changes, merge
from tests.rules.builders import READ_AT, group, person, profile, snapshot

PROFILE = profile(groups={"mode": "on_the_fly"})


def _prior() -> Snapshot:
    people = [person("u1", "ann"), person("u2", "bob"), person("u3", "cy")]
    return snapshot(people, [group("g1", "eng", "u1", "u2"), group("g2", "ops", "u3")])


def test_nobody_changed_when_the_merge_kept_every_record() -> None:
    prior = _prior()
    regrouped = {gid: replace(g, member_ids=frozenset(g.member_ids)) for gid, g in prior.groups.items()}
    now = merge(prior, Changes("c2", {}, regrouped, None), READ_AT)
    previous = previous_of(prior, now, PROFILE)
    assert previous.changed == frozenset()
    assert dict(previous.desired.users) == {}
    assert set(previous.desired.groups) == {"eng", "ops"}  # every group stays: it decides the managed ones


def test_a_changed_record_a_hire_a_deletion_and_a_move_are_the_changed_people() -> None:
    prior = _prior()
    renamed = person("u1", "ann.lee")
    hired = person("u4", "dee")
    groups = {"g1": group("g1", "eng", "u1", "u4"), "g2": group("g2", "ops", "u3")}
    now = merge(prior, Changes("c2", {"u1": renamed, "u4": hired}, groups, None, deleted=frozenset({"u2"})),
                READ_AT)
    previous = previous_of(prior, now, PROFILE)
    assert previous.changed == {"u1", "u2", "u4"}
    # the previous records of those who were there before, as the rules made them then
    assert {sid: u.username for sid, u in previous.desired.users.items()} == {"u1": "ann", "u2": "bob"}
    assert set(previous.desired.users["u2"].groups) == {"eng"}


def test_an_equal_record_that_is_a_new_object_is_not_a_change() -> None:
    prior = _prior()
    again = person("u1", "ann")
    assert again is not prior.users["u1"]
    now = merge(prior, Changes("c2", {"u1": again}, None, None), READ_AT)
    assert previous_of(prior, now, PROFILE).changed == frozenset()
