"""The group rules in the diff: create missing groups, add / remove members, keep-existing vs authoritative,
default groups, renames, protected users, single-user runs."""

from __future__ import annotations

from tests.engine.world import World, actions
from tests.rules.builders import group, person, profile, snapshot

ANN = person("u1", "ann@x.io", firstName="Ann", lastName="Lee")
BOB = person("u2", "bob@x.io", firstName="Bob", lastName="Ray")
BY_LOCAL = {"username": {"regex": "(.*)@.*", "replace": "$1"}}


def test_missing_group_is_created_before_members_are_added() -> None:
    world = World()
    result = world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]), profile(users=BY_LOCAL))
    assert actions(result) == [("create_group", "jira-dev"), ("create_user", "ann"),
                               ("add_member", "ann → jira-dev")]
    assert result.items[2].reason.rule == "groups.on_the_fly"
    world.apply(result)
    assert world.groups["jira-dev"] == {"ann"}


def test_create_missing_off_notes_and_skips_memberships() -> None:
    world = World()
    result = world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]),
                        profile(users=BY_LOCAL, groups={"create_missing": False}))
    assert actions(result) == [("create_user", "ann")]
    assert any("create_missing" in note for note in result.notes)


def test_keep_existing_removes_only_managed_in_scope_users() -> None:
    world = World()
    world.add_user("stranger", groups=["jira-dev"])
    rules = profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN, BOB], [group("g1", "jira-dev", "u1", "u2")]), rules))
    result = world.sync(snapshot([ANN, BOB], [group("g1", "jira-dev", "u1")]), rules)
    assert actions(result) == [("remove_member", "bob ⨯ jira-dev")]
    assert result.items[0].reason.rule == "groups.keep_existing_memberships"


def test_authoritative_removes_everyone_the_rules_do_not_put_there() -> None:
    world = World()
    world.add_user("stranger", groups=["jira-dev"])
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False})
    result = world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]), rules)
    assert ("remove_member", "stranger ⨯ jira-dev") in actions(result)
    assert ("add_member", "ann → jira-dev") in actions(result)
    world.apply(result)
    assert world.groups["jira-dev"] == {"ann"}
    assert world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]), rules).items == ()


def test_protected_member_is_never_removed() -> None:
    world = World()
    world.add_user("admin", groups=["jira-dev"])
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False},
                    safety={"protected_users": ["admin"]})
    result = world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]), rules)
    assert ("remove_member", "admin ⨯ jira-dev") not in actions(result)
    assert any("admin" in note and "protected" in note for note in result.notes)


def test_manual_mapping_to_several_groups() -> None:
    world = World()
    world.groups.update({"jira-software-users": set(), "developers": set()})
    mapping = {"Engineering": ["jira-software-users", "developers"]}
    rules = profile(users=BY_LOCAL, groups={"mode": "manual", "mapping": mapping})
    result = world.sync(snapshot([ANN], [group("g1", "Engineering", "u1")]), rules)
    assert actions(result) == [("create_user", "ann"), ("add_member", "ann → developers"),
                               ("add_member", "ann → jira-software-users")]


def test_default_groups_new_users_once_and_all_users_always() -> None:
    world = World()
    world.groups.update({"jira-software-users": set(), "everyone": set()})
    rules = profile(users=BY_LOCAL, groups={"mode": "none", "keep_existing_memberships": False,
                                            "default_groups": {"new_users": ["jira-software-users"],
                                                               "all_users": ["everyone"]}})
    claimed = world.add_user("bob", "bob@x.io", "Bob Ray")
    result = world.sync(snapshot([ANN, BOB]), rules)
    assert sorted(actions(result)) == sorted([
        ("create_user", "ann"), ("link_user", "bob"), ("add_member", "ann → everyone"),
        ("add_member", "bob → everyone"), ("add_member", "ann → jira-software-users")])
    world.apply(result)
    world.groups["jira-software-users"].discard("ann")  # an admin takes the default group away again
    assert world.sync(snapshot([ANN, BOB]), rules).items == ()  # not re-added: new users only, once
    assert claimed.key == world.links["u2"].target_key


def test_rename_keeps_memberships_without_remove_and_add() -> None:
    world, rules = World(), profile(users=BY_LOCAL, groups={"keep_existing_memberships": False})
    groups = [group("g1", "jira-dev", "u1")]
    world.apply(world.sync(snapshot([ANN], groups), rules))
    renamed = person("u1", "ann.lee@x.io", email="ann@x.io", firstName="Ann", lastName="Lee")
    result = world.sync(snapshot([renamed], groups), rules)
    assert actions(result) == [("rename_user", "ann")]
    world.apply(result)
    assert world.groups["jira-dev"] == {"ann.lee"}


def test_gone_user_keeps_memberships_in_keep_mode_and_loses_them_when_authoritative() -> None:
    groups = [group("g1", "jira-dev", "u1", "u2")]
    for keep, expected in ((True, []), (False, [("remove_member", "ann ⨯ jira-dev")])):
        world = World()
        rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": keep})
        world.apply(world.sync(snapshot([ANN, BOB], groups), rules))
        result = world.sync(snapshot([BOB], [group("g1", "jira-dev", "u2")]), rules)
        assert [a for a in actions(result) if a[0] == "remove_member"] == expected


def test_single_user_run_touches_only_that_users_memberships() -> None:
    world = World()
    world.add_user("stranger", groups=["jira-dev"])
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False})
    world.apply(world.sync(snapshot([ANN, BOB], [group("g1", "jira-dev", "u1", "u2")]), rules))
    world.groups["jira-dev"].add("stranger")
    result = world.sync(snapshot([ANN, BOB], [group("g1", "jira-dev", "u1")], single_user="u2"), rules)
    assert actions(result) == [("remove_member", "bob ⨯ jira-dev")]


def test_disputed_users_memberships_are_left_alone() -> None:
    world = World()
    rules = profile(users=BY_LOCAL, groups={"keep_existing_memberships": False})
    world.apply(world.sync(snapshot([ANN], [group("g1", "jira-dev", "u1")]), rules))
    twin = person("u3", "ann@elsewhere.io")
    result = world.sync(snapshot([ANN, twin], [group("g1", "jira-dev")]), rules)
    assert result.items == ()
    assert result.disputes[0].source_ids == ("u1", "u3")
