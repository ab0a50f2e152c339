"""Group rules: on-the-fly include / exclude / rename, manual mapping, none, default groups, protected
groups."""

from __future__ import annotations

from idsync.rules.desired import desired_state
from tests.rules.builders import group, person, profile, snapshot

USERS = [person("u1", "ann@x.io"), person("u2", "bob@x.io")]
GROUPS = [group("g1", "okta-jira-dev", "u1"), group("g2", "okta-jira-ops", "u2"),
          group("g3", "jira-secret", "u1"), group("g4", "sales", "u1", "u2")]


def test_on_the_fly_include_exclude_and_rename() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(groups={
        "include": ["jira"], "exclude": ["secret"], "rename": {"regex": "^okta-(.*)$", "replace": "$1"}}))
    assert set(state.groups) == {"jira-dev", "jira-ops"}
    assert set(state.users["u1"].groups) == {"jira-dev"}
    reason = state.users["u1"].groups["jira-dev"]
    assert reason.rule == "groups.on_the_fly"
    assert "'okta-jira-dev'" in reason.detail


def test_rename_not_matching_keeps_the_name() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(groups={
        "include": ["^sales$"], "rename": {"regex": "^okta-(.*)$", "replace": "$1"}}))
    assert set(state.groups) == {"sales"}


def test_manual_mapping_one_source_group_to_several_targets() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(groups={
        "mode": "manual", "mapping": {"sales": ["jira-software-users", "crm"], "missing": ["ghost"]}}))
    assert set(state.groups) == {"jira-software-users", "crm"}
    assert set(state.users["u2"].groups) == {"jira-software-users", "crm"}
    assert state.users["u2"].groups["crm"].rule == "groups.mapping"


def test_mode_none_manages_no_groups() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(groups={"mode": "none"}))
    assert state.groups == {}
    assert state.users["u1"].groups == {}


def test_default_groups_all_users_and_new_users() -> None:
    state = desired_state(snapshot(USERS, GROUPS), profile(groups={
        "mode": "none", "create_missing": False,
        "default_groups": {"all_users": ["everyone"], "new_users": ["jira-software-users"]}}))
    assert set(state.groups) == {"everyone"}
    assert state.groups["everyone"].create is False
    assert all("everyone" in u.groups for u in state.users.values())
    assert set(state.new_user_groups) == {"jira-software-users"}
    assert state.new_user_groups["jira-software-users"].rule == "groups.default_groups.new_users"


def test_protected_groups_are_never_managed_and_noted() -> None:
    state = desired_state(snapshot(USERS, [*GROUPS, group("g5", "Jira-Administrators", "u1")]), profile(
        groups={"default_groups": {"all_users": ["jira-administrators"]}},
        safety={"protected_groups": ["jira-administrators"]}))
    assert not any(name.casefold() == "jira-administrators" for name in state.groups)
    assert not any(name.casefold() == "jira-administrators" for name in state.users["u1"].groups)
    assert any("protected" in note and "Jira-Administrators" in note for note in state.notes)


# a person in groups whose names sort differently from their ids, two of them with one name
ORDERED = [group("g9", "b-team", "u1"), group("g1", "z-team", "u1"), group("g5", "a-team", "u1"),
           group("g2", "m-team", "u1"), group("g7", "b-team", "u1"), group("g3", "sales", "u2")]


def test_a_person_s_groups_are_in_name_order_and_the_first_source_group_gives_the_reason() -> None:
    # on the fly without a rename the rules reverse the order they met the groups in; with a rename,
    # a default group or a manual mapping they sort: every path gives the same name order
    cases = {
        "on the fly": {"mode": "on_the_fly"},
        "rename": {"mode": "on_the_fly", "rename": {"regex": "(.*)-team", "replace": "team-$1"}},
        "default group": {"mode": "on_the_fly", "default_groups": {"all_users": ["everyone"]}},
        "manual": {"mode": "manual", "mapping": {"z-team": ["z"], "a-team": ["x", "a"], "b-team": ["b"],
                                                  "m-team": ["a"]}},
    }
    for case, rules in cases.items():
        groups = desired_state(snapshot(USERS, ORDERED), profile(groups=rules)).users["u1"].groups
        assert list(groups) == sorted(groups), case
    plain = desired_state(snapshot(USERS, ORDERED), profile(groups={"mode": "on_the_fly"})).users["u1"]
    assert list(plain.groups) == ["a-team", "b-team", "m-team", "z-team"]
    # b-team comes from g7 and g9 alike: the first in (name, id) order, g7, is the one named; both
    # have the same name, so the reason's text is the same either way
    assert plain.groups["b-team"].detail == "member of source group 'b-team'"
    state = desired_state(snapshot(USERS, ORDERED), profile(groups=cases["manual"]))
    manual = state.users["u1"]
    assert list(manual.groups) == ["a", "b", "x", "z"]
    # "a" comes from a-team and m-team: a-team, first in name order, gives the reason, to the person's
    # membership and to the managed group alike
    assert "'a-team'" in manual.groups["a"].detail
    assert "'a-team'" in state.groups["a"].reason.detail
    assert list(state.groups) == sorted(state.groups)
