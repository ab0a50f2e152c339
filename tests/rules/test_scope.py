"""Scope: include / exclude group regexes, statuses, active statuses, single-user snapshots."""

from __future__ import annotations

from idsync.rules.desired import desired_state
from tests.rules.builders import group, person, profile, snapshot

USERS = [person("u1", "ann@x.io"), person("u2", "bob@x.io"), person("u3", "cat@x.io", status="SUSPENDED"),
         person("u4", "dan@x.io", status="STAGED")]
GROUPS = [group("g1", "jira-users", "u1", "u2", "u3"), group("g2", "contractors", "u2"),
          group("g3", "other", "u4")]


def test_include_and_exclude_group_regexes() -> None:
    state = desired_state(snapshot(USERS, GROUPS),
                          profile(scope={"include_groups": ["^jira-"], "exclude_groups": ["^contract"]}))
    assert set(state.users) == {"u1", "u3"}
    assert state.out_of_scope == 2
    assert state.users["u1"].reason.rule == "scope.include_groups"
    assert "jira-users" in state.users["u1"].reason.detail


def test_empty_include_means_everyone() -> None:
    assert set(desired_state(snapshot(USERS, GROUPS), profile()).users) == {"u1", "u2", "u3", "u4"}


def test_status_filter_and_active_statuses() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(scope={"statuses": ["ACTIVE", "SUSPENDED"]},
                                                           users={"active_statuses": ["ACTIVE"]}))
    assert set(state.users) == {"u1", "u2", "u3"}
    assert state.users["u1"].active is True
    assert state.users["u3"].active is False


def test_single_user_snapshot_keeps_only_that_user() -> None:
    state = desired_state(snapshot(USERS, GROUPS, single_user="u2"), profile())
    assert set(state.users) == {"u2"}
    assert state.single_user == "u2"


def test_single_user_still_sees_a_dispute_with_another_user() -> None:
    users = [person("u1", "ann@x.io"), person("u2", "ann@y.io")]
    state = desired_state(snapshot(users, single_user="u1"),
                          profile(users={"username": {"regex": "(.*)@.*", "replace": "$1"}}))
    assert state.users == {}
    assert state.disputes[0].source_ids == ("u1", "u2")
