"""Default groups are desired state, not drift: what a rule of the profile grants, idsync never takes
away. Every combination of group mode × keep_existing_memberships × a default group that is / is not
also managed by the mapping, for `default_groups.new_users` (granted once, at creation, then kept
unless an admin removes it) and `default_groups.all_users` (always)."""

from __future__ import annotations

from typing import Any

import pytest

from idsync.domain.plan import Action
from idsync.domain.records import Capabilities, Snapshot
from idsync.engine.diff import state_query
from idsync.rules.desired import desired_state
from tests.engine.world import World, actions
from tests.rules.builders import group, person, profile, snapshot

ANN = person("u1", "ann@x.io")  # in Engineering
BOB = person("u2", "bob@x.io")  # in no group that maps anywhere
BY_LOCAL = {"username": {"regex": "(.*)@.*", "replace": "$1"}}
DEFAULT = "jira-software-users"


def _groups_rules(mode: str, managed: bool, keep: bool, default_kind: str) -> dict[str, Any]:
    """Group rules where the default group is (managed=True) or is not also a mapping target."""
    rules: dict[str, Any] = {"mode": mode, "keep_existing_memberships": keep,
                             "default_groups": {default_kind: [DEFAULT]}}
    if mode == "manual":
        rules["mapping"] = {"Engineering": [DEFAULT, "developers"] if managed else ["developers"]}
    return rules


def _source_groups(mode: str, managed: bool, ann_in_engineering: bool = True) -> list[Any]:
    members = ("u1",) if ann_in_engineering else ()
    if mode == "manual":
        return [group("g1", "Engineering", *members)]
    # on the fly: source groups become target groups of the same name
    groups = [group("g2", "developers", *members)]
    if managed:
        groups.append(group("g3", DEFAULT, *members))
    return groups


MATRIX = [
    pytest.param(mode, managed, keep, id=f"{mode}-{'managed' if managed else 'unmanaged'}-keep_{keep}")
    for mode in ("manual", "on_the_fly") for managed in (True, False) for keep in (True, False)
]


@pytest.mark.parametrize(("mode", "managed", "keep"), MATRIX)
def test_new_users_default_group_is_granted_once_and_never_taken_away(
    mode: str, managed: bool, keep: bool
) -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups=_groups_rules(mode, managed, keep, "new_users"))
    source = snapshot([ANN, BOB], _source_groups(mode, managed))
    first = world.sync(source, rules)
    assert ("add_member", f"bob → {DEFAULT}") in actions(first)
    world.apply(first)
    assert world.groups[DEFAULT] == {"ann", "bob"}
    assert world.groups["developers"] == {"ann"}

    second = world.sync(source, rules)
    assert second.items == (), f"run 2 must keep what run 1 granted, got {actions(second)}"

    # Ann leaves Engineering: she loses what the mapping gave her, never the group she was granted.
    left = snapshot([ANN, BOB], _source_groups(mode, managed, ann_in_engineering=False))
    third = world.sync(left, rules)
    assert actions(third) == [("remove_member", "ann ⨯ developers")]
    world.apply(third)
    assert world.groups[DEFAULT] == {"ann", "bob"}
    assert world.sync(left, rules).items == ()


@pytest.mark.parametrize(("mode", "managed", "keep"), MATRIX)
def test_a_grant_the_admin_took_away_is_not_given_back(mode: str, managed: bool, keep: bool) -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups=_groups_rules(mode, managed, keep, "new_users"))
    source = snapshot([ANN, BOB], _source_groups(mode, managed))
    world.apply(world.sync(source, rules))
    world.groups[DEFAULT].discard("bob")  # an admin removes Bob from the default group by hand
    result = world.sync(source, rules)
    assert result.items == ()
    world.apply(result)
    assert "bob" not in world.groups[DEFAULT]
    assert DEFAULT not in world.links["u2"].granted_groups  # the grant lapsed
    assert world.sync(source, rules).items == ()


@pytest.mark.parametrize(("mode", "managed", "keep"), MATRIX)
def test_all_users_default_group_is_kept_for_everyone(mode: str, managed: bool, keep: bool) -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups=_groups_rules(mode, managed, keep, "all_users"))
    source = snapshot([ANN, BOB], _source_groups(mode, managed))
    world.apply(world.sync(source, rules))
    assert world.groups[DEFAULT] == {"ann", "bob"}
    assert world.sync(source, rules).items == ()
    left = snapshot([ANN, BOB], _source_groups(mode, managed, ann_in_engineering=False))
    world.apply(world.sync(left, rules))
    assert world.groups[DEFAULT] == {"ann", "bob"}
    # all_users is a rule for every user in scope, so an admin's removal is put right again
    world.groups[DEFAULT].discard("bob")
    assert actions(world.sync(left, rules)) == [("add_member", f"bob → {DEFAULT}")]


PENDING_RULES = profile(users=BY_LOCAL, groups=_groups_rules("manual", True, True, "new_users"))


def _bob_s_grant_failed(world: World) -> Snapshot:
    """Ann and Bob created under PENDING_RULES, Bob's add to the default group failed: the source."""
    source = snapshot([ANN, BOB], _source_groups("manual", True))
    first = world.sync(source, PENDING_RULES)
    bob_default = next(i for i, item in enumerate(first.items)
                       if item.action is Action.ADD_MEMBER and item.subject == f"bob → {DEFAULT}")
    world.apply(first, fail_indices={bob_default})
    return source


def test_a_failed_grant_stays_pending_and_the_next_run_adds_it() -> None:
    world = World()
    source = _bob_s_grant_failed(world)
    assert world.links["u2"].pending_groups == {DEFAULT}
    second = world.sync(source, PENDING_RULES)
    assert actions(second) == [("add_member", f"bob → {DEFAULT}")]
    assert second.items[0].reason.rule == "groups.default_groups.new_users"
    world.apply(second)
    assert world.links["u2"].granted_groups == {DEFAULT}
    assert world.links["u2"].pending_groups == frozenset()
    assert world.sync(source, PENDING_RULES).items == ()


def test_a_single_user_run_leaves_another_person_s_pending_grant_alone() -> None:
    world = World()
    source = _bob_s_grant_failed(world)
    world.groups[DEFAULT].add("bob")  # an admin put him in by hand meanwhile
    # Ann's own run reads her groups, the default group among them, where Bob's pending grant is now in
    # place: only she may change, so his link waits for a run of everyone to confirm it
    ann_alone = snapshot([ANN, BOB], _source_groups("manual", True), single_user="u1")
    only_ann = world.sync(ann_alone, PENDING_RULES)
    assert not [item for item in only_ann.items if item.source_id != "u1"]
    assert not [link for link in only_ann.link_upserts if link.source_id != "u1"]
    everyone = world.sync(source, PENDING_RULES)
    assert actions(everyone) == []  # his pending grant is desired: not a member the rules would remove
    assert [(link.source_id, link.granted_groups, link.pending_groups) for link in everyone.link_upserts] \
        == [("u2", frozenset({DEFAULT}), frozenset())]


def test_a_claimed_user_gets_no_grant_and_follows_the_mapping() -> None:
    world = World()
    world.groups[DEFAULT] = set()
    world.add_user("bob", "bob@x.io", groups=[DEFAULT])
    rules = profile(users=BY_LOCAL, groups=_groups_rules("manual", True, True, "new_users"))
    result = world.sync(snapshot([ANN, BOB], _source_groups("manual", True)), rules)
    # Bob existed already: he is claimed, not created, so no rule granted him the default group, and
    # with keep_existing_memberships he is managed and not in Engineering: the mapping takes it away.
    assert ("link_user", "bob") in actions(result)
    assert ("remove_member", f"bob ⨯ {DEFAULT}") in actions(result)


@pytest.mark.parametrize(("capabilities", "full_read", "managed", "expected"), [
    pytest.param(Capabilities(group_existence=True), False, False, "exists", id="between-full-reads"),
    pytest.param(Capabilities(group_existence=True), True, False, "members", id="full-read"),
    pytest.param(Capabilities(), False, False, "members", id="target-cannot-tell"),
    pytest.param(Capabilities(group_existence=True, max_group_members=35_000), False, False, "members",
                 id="group-size-limit"),
    pytest.param(Capabilities(group_existence=True), False, True, "members", id="managed-default-group"),
])
def test_a_default_group_for_new_users_is_read_for_its_existence_only_between_full_reads(
    capabilities: Capabilities, full_read: bool, managed: bool, expected: str
) -> None:
    # a hire needs the default group to exist, not its members — except where the diff compares them
    rules = profile(users=BY_LOCAL, groups=_groups_rules("on_the_fly", managed, True, "new_users"))
    desired = desired_state(snapshot([ANN], _source_groups("on_the_fly", managed)), rules)
    unchanged = frozenset({"developers"})
    query = state_query(desired, {}, rules, capabilities, unchanged_groups=unchanged, full_read=full_read)
    assert (DEFAULT in query.groups_exist, DEFAULT in query.groups) == (
        (True, False) if expected == "exists" else (False, True)
    )
