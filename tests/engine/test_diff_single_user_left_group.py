"""A single-user run removes the person from managed target groups they left in the source.

The single-user snapshot names only the groups the person is in now; the target reports the person's
current groups (`StateQuery.member_of` → `TargetUser.groups`) and `DesiredState.group_rule` tells
which of them the rules manage."""

from __future__ import annotations

from typing import Any

from idsync.engine.diff import state_query
from idsync.rules.desired import desired_state
from tests.engine.world import JIRA, LEGACY, World, actions
from tests.rules.builders import group, person, profile, snapshot

ANN = person("u1", "ann@x.io", firstName="Ann", lastName="Lee")
BOB = person("u2", "bob@x.io", firstName="Bob", lastName="Ray")
BY_LOCAL = {"username": {"regex": "(.*)@.*", "replace": "$1"}}
ON_THE_FLY = {"mode": "on_the_fly", "include": ["^team-"]}
MANUAL = {"mode": "manual", "mapping": {"Engineering": ["jira-dev", "jira-eng"], "Sales": ["jira-sales"]}}


def _synced(groups: dict[str, Any], **sections: Any) -> tuple[World, Any]:
    """A world where a full run put ann and bob in team-a / team-b (or the mapped groups), plus a
    group idsync does not manage that ann is in too."""
    world = World()
    rules = profile(users=BY_LOCAL, groups=groups, **sections)
    if groups.get("mode") == "manual":
        source = [group("g1", "Engineering", "u1", "u2"), group("g2", "Sales", "u1")]
    else:
        source = [group("g1", "team-a", "u1", "u2"), group("g2", "team-b", "u1"), group("g3", "other", "u1")]
    world.apply(world.sync(snapshot([ANN, BOB], source), rules))
    world.groups.setdefault("unmanaged", set()).add("ann")
    return world, rules


def _removals(result: Any) -> list[tuple[str, str]]:
    return [a for a in actions(result) if a[0] == "remove_member"]


def test_on_the_fly_keep_existing_removes_the_left_managed_group() -> None:
    world, rules = _synced(ON_THE_FLY)
    world.groups["other"] = {"ann"}  # an unmanaged group of a name the include does not match

    result = world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules)

    assert actions(result) == [("remove_member", "ann ⨯ team-b")]
    item = result.items[0]
    assert item.reason.rule == "groups.keep_existing_memberships"
    assert "no longer in a source group that maps to 'team-b' (single-user sync)" in item.reason.detail
    assert item.source_id == "u1" and item.user_key == world.by_name("ann").key
    assert world.queries[-1].member_of == frozenset({"ann"})
    world.apply(result)
    assert "ann" not in world.groups["team-b"]
    assert world.groups["unmanaged"] == {"ann"} and world.groups["other"] == {"ann"}
    assert world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules).items == ()


def test_on_the_fly_authoritative_removes_the_left_managed_group() -> None:
    world, rules = _synced({**ON_THE_FLY, "keep_existing_memberships": False})

    result = world.sync(snapshot([ANN], [], single_user="u1"), rules)

    assert _removals(result) == [("remove_member", "ann ⨯ team-a"), ("remove_member", "ann ⨯ team-b")]
    assert {i.reason.rule for i in result.items} == {"groups.authoritative"}
    assert "single-user sync" in result.items[0].reason.detail


def test_on_the_fly_exclude_keeps_a_matching_but_excluded_group() -> None:
    world, rules = _synced({**ON_THE_FLY, "exclude": ["-b$"]})
    world.groups["team-b"] = {"ann"}  # not managed: excluded

    result = world.sync(snapshot([ANN], [], single_user="u1"), rules)

    assert _removals(result) == [("remove_member", "ann ⨯ team-a")]


def test_manual_mapping_removes_only_mapping_targets() -> None:
    world, rules = _synced(MANUAL)
    world.groups["team-x"] = {"ann"}  # a name an on-the-fly include would match: not managed in manual

    result = world.sync(snapshot([ANN], [group("g1", "Engineering", "u1")], single_user="u1"), rules)

    assert actions(result) == [("remove_member", "ann ⨯ jira-sales")]
    assert result.items[0].reason.rule == "groups.keep_existing_memberships"
    world.apply(result)
    assert world.groups["jira-dev"] == {"ann", "bob"} and world.groups["team-x"] == {"ann"}


def test_manual_mapping_authoritative_removes_every_left_mapping_target() -> None:
    world, rules = _synced({**MANUAL, "keep_existing_memberships": False})

    result = world.sync(snapshot([ANN], [], single_user="u1"), rules)

    assert _removals(result) == [("remove_member", "ann ⨯ jira-dev"), ("remove_member", "ann ⨯ jira-eng"),
                                 ("remove_member", "ann ⨯ jira-sales")]


def test_a_group_granted_at_creation_is_never_removed() -> None:
    world, rules = _synced({**ON_THE_FLY, "default_groups": {"new_users": ["team-new"]}})
    assert "team-new" in world.links["u1"].granted_groups

    result = world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules)

    assert actions(result) == [("remove_member", "ann ⨯ team-b")]


def test_protected_groups_and_users_are_never_touched() -> None:
    world, rules = _synced(ON_THE_FLY, safety={"protected_groups": ["Team-B"]})
    world.groups["team-b"] = {"ann"}
    assert world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules).items == ()

    world, rules = _synced(ON_THE_FLY)
    guarded = profile(users=BY_LOCAL, groups=ON_THE_FLY, safety={"protected_users": ["ann"]})
    result = world.sync(snapshot([ANN], [], single_user="u1"), guarded)
    assert _removals(result) == []


def test_an_all_users_default_counts_as_managed() -> None:
    world, rules = _synced({"mode": "none", "default_groups": {"all_users": ["everyone"]}})
    world.groups["everyone"] = {"ann", "bob"}
    world.groups["team-a"] = {"ann"}  # mode none: not managed
    desired = desired_state(snapshot([ANN], [], single_user="u1"), rules)

    assert desired.group_rule.manages("Everyone") and not desired.group_rule.manages("team-a")
    assert world.sync(snapshot([ANN], [], single_user="u1"), rules).items == ()


def test_a_rename_cannot_be_inverted_so_left_groups_wait_for_a_full_run() -> None:
    rename = {**ON_THE_FLY, "rename": {"regex": "^team-(.*)", "replace": "jira-$1"}}
    world, rules = _synced(rename)
    assert "ann" in world.groups["jira-b"]

    result = world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules)

    assert result.items == ()
    assert sum("groups.rename cannot be inverted" in note for note in result.notes) == 1
    full = world.sync(snapshot([ANN, BOB], [group("g1", "team-a", "u1", "u2"), group("g2", "team-b")]), rules)
    assert not any("cannot be inverted" in note for note in full.notes)
    assert _removals(full) == [("remove_member", "ann ⨯ jira-b")]


def test_the_user_renamed_in_the_same_run_is_removed_under_the_new_name() -> None:
    world, rules = _synced(ON_THE_FLY)
    renamed = person("u1", "ann.lee@x.io", firstName="Ann", lastName="Lee")

    result = world.sync(snapshot([renamed], [group("g1", "team-a", "u1")], single_user="u1"), rules)

    assert ("remove_member", "ann.lee ⨯ team-b") in actions(result)
    assert world.queries[-1].member_of == frozenset({"ann", "ann.lee"})
    world.apply(result)
    assert world.groups["team-b"] == set()


def test_a_target_that_cannot_report_user_groups_keeps_the_older_behaviour() -> None:
    world, rules = _synced(ON_THE_FLY)

    result = world.sync(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules, LEGACY)

    assert result.items == ()
    assert world.queries[-1].member_of == frozenset()


def test_state_query_reads_the_single_users_groups_only_in_a_single_user_run() -> None:
    world, rules = _synced(ON_THE_FLY)
    full = desired_state(snapshot([ANN, BOB], [group("g1", "team-a", "u1", "u2")]), rules)
    single = desired_state(snapshot([ANN], [group("g1", "team-a", "u1")], single_user="u1"), rules)

    assert state_query(full, world.links, rules, JIRA).member_of == frozenset()
    query = state_query(single, world.links, rules, JIRA)
    assert query.member_of == frozenset({"ann"})
    assert world.links["u1"].target_key in query.user_keys  # read although its fingerprint is unchanged
    assert state_query(single, world.links, rules, LEGACY).member_of == frozenset()


def test_a_single_user_run_for_someone_not_in_the_target_removes_nobody_else() -> None:
    world = World()
    world.add_user("stranger", groups=["everyone"])
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False,
                                            "default_groups": {"all_users": ["everyone"]}})
    suspended = person("u9", "sue@x.io", status="SUSPENDED")  # never created: absent from the target

    assert world.sync(snapshot([suspended], [], single_user="u9"), rules).items == ()
    assert world.sync(snapshot([], [], single_user="u9"), rules).items == ()
