"""A group renamed in the source, on targets that store the source group's id (SCIM externalId):
renamed in place where the target can, replaced (create + move + delete) where it cannot (Atlassian
Cloud), never on targets that don't store the id; and the target's own size limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from idsync.domain.plan import Action, Plan
from idsync.domain.records import Capabilities
from idsync.engine.diff import DiffResult
from idsync.engine.guards import check
from tests.engine.world import CLOUD, JIRA, SCIM, World, actions
from tests.rules.builders import group, person, profile, snapshot

ANN = person("u1", "ann@x.io", firstName="Ann", lastName="Lee")
BOB = person("u2", "bob@x.io", firstName="Bob", lastName="Ray")
BY_LOCAL = {"username": {"regex": "(.*)@.*", "replace": "$1"}}
RULES = profile(users=BY_LOCAL)


def _synced(world: World, caps: Capabilities, *members: str, name: str = "eng") -> None:
    world.apply(world.sync(snapshot([ANN, BOB], [group("g1", name, *members)]), RULES, caps))


def test_created_group_carries_its_source_id() -> None:
    world = World()
    result = world.sync(snapshot([ANN], [group("g1", "eng", "u1")]), RULES, SCIM)
    create = next(i for i in result.items if i.action is Action.CREATE_GROUP)
    assert create.source_id == "g1"
    world.apply(result)
    assert world.external_ids == {"eng": "g1"}


def test_rename_in_place_keeps_members_and_plans_no_moves() -> None:
    world = World()
    _synced(world, SCIM, "u1", "u2")
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1", "u2")]), RULES, SCIM)
    assert actions(result) == [("rename_group", "engineering")]
    item = result.items[0]
    assert (item.changes[0].old, item.changes[0].new) == ("eng", "engineering")
    assert item.reason.rule == "groups.rename" and "'eng' becomes 'engineering'" in item.reason.detail
    world.apply(result)
    assert world.groups == {"engineering": {"ann", "bob"}}
    assert world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1", "u2")]), RULES, SCIM).items == ()


def test_rename_in_place_with_a_member_change_diffs_against_the_old_members() -> None:
    world = World()
    _synced(world, SCIM, "u1", "u2")
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1")]), RULES, SCIM)
    assert actions(result) == [("rename_group", "engineering"), ("remove_member", "bob ⨯ engineering")]


def test_target_that_cannot_rename_gets_create_move_delete_in_that_order() -> None:
    world = World()
    _synced(world, CLOUD, "u1", "u2")
    world.add_user("carol", groups=["eng"])  # a member idsync does not manage: moved too
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1", "u2")]), RULES, CLOUD)
    assert actions(result) == [
        ("create_group", "engineering"), ("add_member", "ann → engineering"),
        ("add_member", "bob → engineering"), ("add_member", "carol → engineering"),
        ("delete_group", "eng"),
    ]
    assert all(i.reason.rule == "groups.rename" for i in result.items
               if i.action in (Action.CREATE_GROUP, Action.DELETE_GROUP))
    assert "cannot rename groups" in result.items[0].reason.detail
    world.apply(result)
    assert world.groups == {"engineering": {"ann", "bob", "carol"}}
    assert world.external_ids == {"engineering": "g1"}
    again = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1", "u2")]), RULES, CLOUD)
    assert again.items == ()


def test_authoritative_mode_moves_only_the_members_the_rules_want() -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False})
    world.apply(world.sync(snapshot([ANN, BOB], [group("g1", "eng", "u1", "u2")]), rules, CLOUD))
    world.add_user("carol", groups=["eng"])
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1")]), rules, CLOUD)
    assert actions(result) == [("create_group", "engineering"), ("add_member", "ann → engineering"),
                               ("delete_group", "eng")]


def test_failed_move_keeps_the_old_group() -> None:
    """The world applies items in order; the engine's apply gates DELETE_GROUP on the moves (tested
    end to end); here: the delete names its replacement so apply can gate it."""
    world = World()
    _synced(world, CLOUD, "u1")
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1")]), RULES, CLOUD)
    delete = next(i for i in result.items if i.action is Action.DELETE_GROUP)
    assert [(c.field, c.old, c.new) for c in delete.changes] == [("name", "eng", "engineering")]
    assert Action.DELETE_GROUP.destructive


def test_targets_without_group_ids_never_rename() -> None:
    world = World()
    _synced(world, JIRA, "u1")
    result = world.sync(snapshot([ANN, BOB], [group("g1", "engineering", "u1")]), RULES, JIRA)
    assert actions(result) == [("create_group", "engineering"), ("add_member", "ann → engineering")]
    assert world.queries[-1].group_sources == frozenset()


def test_manual_mapping_groups_follow_their_names_not_source_ids() -> None:
    world = World()
    world.groups["developers"] = set()
    rules = profile(users=BY_LOCAL, groups={"mode": "manual", "mapping": {"Eng": ["developers"]}})
    world.apply(world.sync(snapshot([ANN], [group("g1", "Eng", "u1")]), rules, SCIM))
    assert world.queries[-1].group_sources == frozenset()


def test_two_source_groups_into_one_target_group_have_no_single_source() -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups={"rename": {"regex": "^(eng).*$", "replace": "$1"}})
    result = world.sync(snapshot([ANN, BOB], [group("g1", "eng-a", "u1"), group("g2", "eng-b", "u2")]),
                        rules, SCIM)
    create = next(i for i in result.items if i.action is Action.CREATE_GROUP)
    assert create.group == "eng" and create.source_id is None


def _plan(result: DiffResult) -> Plan:
    return Plan(profile="p", created_at=datetime.now(UTC), items=result.items, source="okta",
                source_users=2, source_groups=1, limits=result.limits)


def test_group_over_the_targets_member_limit_is_refused_with_the_override_named() -> None:
    world = World()
    caps = replace(CLOUD, max_group_members=1)
    result = world.sync(snapshot([ANN, BOB], [group("g1", "eng", "u1", "u2")]), RULES, caps)
    assert [(lim.subject, lim.after, lim.allowed) for lim in result.limits] == [("eng", 2, 1)]
    report = check(_plan(result), RULES.safety, allow_over_limit=False, previous_source_users=None)
    assert report.refused
    assert "2 members in group 'eng'" in report.message and "--allow-over-limit" in report.message
    assert not check(_plan(result), RULES.safety, allow_over_limit=True, previous_source_users=None).refused


def test_directory_user_limit_counts_creates_against_the_users_held() -> None:
    world = World()
    world.add_user("carol")
    caps = replace(CLOUD, max_users=2)
    result = world.sync(snapshot([ANN, BOB]), RULES, caps)
    assert [(lim.subject, lim.after, lim.allowed) for lim in result.limits] == [("users", 3, 2)]
    report = check(_plan(result), RULES.safety, allow_over_limit=False, previous_source_users=None)
    assert "would hold 3 users in all, over its limit of 2" in report.message
    within = World()
    assert within.sync(snapshot([ANN, BOB]), RULES, caps).limits == ()
