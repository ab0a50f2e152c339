"""The user half of the diff (create, update, removal, lead handover, claiming), scenario by
scenario, with plain records."""

from __future__ import annotations

from idsync.domain.records import Capabilities, LeadRole
from tests.engine.world import JIRA, World, actions
from tests.rules.builders import person, profile, snapshot

ANN = person("u1", "ann@x.io", firstName="Ann", lastName="Lee")
BOB = person("u2", "bob@x.io", firstName="Bob", lastName="Ray")
BY_LOCAL = {"username": {"regex": "(.*)@.*", "replace": "$1"}}


def test_create_then_noop_second_run_reads_and_writes_nothing() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    first = world.sync(snapshot([ANN, BOB]), rules)
    assert actions(first) == [("create_user", "ann"), ("create_user", "bob")]
    create = first.items[0]
    assert create.reason.rule == "users.create"
    assert create.source_id == "u1"
    assert create.fingerprint
    assert {c.field: c.new for c in create.changes} == {"email": "ann@x.io", "display_name": "Ann Lee"}
    world.apply(first)
    assert set(world.links) == {"u1", "u2"}
    second = world.sync(snapshot([ANN, BOB]), rules)
    assert second.items == ()
    assert world.queries[-1].user_keys == frozenset()
    assert world.queries[-1].usernames == frozenset()


def test_claim_by_username_links_and_updates() -> None:
    world = World()
    existing = world.add_user("ann", "old@x.io", "Ann Lee")
    result = world.sync(snapshot([ANN]), profile(users=BY_LOCAL))
    assert actions(result) == [("link_user", "ann"), ("update_user", "ann")]
    assert result.items[0].user_key == existing.key
    assert result.items[1].changes[0].old == "old@x.io"
    world.apply(result)
    assert world.links["u1"].target_key == existing.key
    assert world.sync(snapshot([ANN]), profile(users=BY_LOCAL)).items == ()


def test_claim_by_email_renames_to_the_rule_username() -> None:
    world = World()
    existing = world.add_user("alee", "ann@x.io", "Ann Lee")
    rules = profile(users={**BY_LOCAL, "match_existing_by": "email"})
    result = world.sync(snapshot([ANN]), rules)
    assert actions(result) == [("link_user", "alee"), ("rename_user", "alee")]
    assert world.queries[-1].emails == frozenset({"ann@x.io"})
    world.apply(result)
    assert world.users[existing.key].username == "ann"
    assert world.sync(snapshot([ANN]), rules).items == ()


def test_match_none_with_username_taken_is_a_dispute_with_no_item() -> None:
    world = World()
    world.add_user("ann", "ann@x.io", "Ann Lee")
    result = world.sync(snapshot([ANN]), profile(users={**BY_LOCAL, "match_existing_by": "none"}))
    assert result.items == ()
    assert result.disputes[0].source_ids == ("u1",)
    assert "match_existing_by" in result.disputes[0].detail


def test_email_matching_two_target_users_is_a_dispute() -> None:
    world = World()
    world.add_user("a1", "ann@x.io")
    world.add_user("a2", "ANN@x.io")
    result = world.sync(snapshot([ANN]), profile(users={**BY_LOCAL, "match_existing_by": "email"}))
    assert result.items == ()
    assert "'a1', 'a2'" in result.disputes[0].detail


def test_username_taken_by_another_link_is_a_dispute() -> None:
    world = World()
    rules = profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    impostor = person("u9", "ann@other.io")
    result = world.sync(snapshot([ANN, impostor]), rules)
    # u1 and u9 now collide in the rules already: both disputed, nothing applied, u1 not "gone".
    assert result.items == ()
    assert result.disputes[0].source_ids == ("u1", "u9")
    # Without the collision in the source, an unlinked user whose name is held by a linked user:
    result = world.sync(snapshot([impostor]), profile(users={**BY_LOCAL, "when_removed": "ignore"}))
    assert result.items == ()
    assert result.disputes[0].source_ids == ("u9", "u1")
    assert "linked to source user u1" in result.disputes[0].detail


def test_rename_of_a_linked_user_keeps_the_key() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    key = world.links["u1"].target_key
    renamed = person("u1", "ann.lee@x.io", firstName="Ann", lastName="Lee")
    result = world.sync(snapshot([renamed]), rules)
    assert ("rename_user", "ann") in actions(result)
    assert world.queries[-1].user_keys == frozenset({key})
    assert "ann.lee" in world.queries[-1].usernames
    world.apply(result)
    assert world.users[key].username == "ann.lee"
    assert world.links["u1"].username == "ann.lee"
    assert world.sync(snapshot([renamed]), rules).items == ()


def test_rename_onto_a_name_held_by_someone_else_is_a_dispute() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    world.add_user("ann.lee")
    result = world.sync(snapshot([person("u1", "ann.lee@x.io", firstName="Ann", lastName="Lee")]), rules)
    assert result.items == ()
    assert result.disputes[0].username == "ann.lee"


def test_linked_user_deleted_in_the_target_is_created_again() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    old_key = world.links["u1"].target_key
    del world.users[old_key]
    changed = person("u1", "ann@x.io", firstName="Annie", lastName="Lee")
    result = world.sync(snapshot([changed]), rules)
    assert actions(result) == [("create_user", "ann")]
    assert result.items[0].reason.rule == "links.recreate"
    world.apply(result)
    assert world.links["u1"].target_key != old_key
    assert world.links["u1"].target_key in world.users


def test_inactive_user_missing_in_target_is_not_created() -> None:
    world = World()
    result = world.sync(snapshot([person("u1", "ann@x.io", status="SUSPENDED")]), profile(users=BY_LOCAL))
    assert result.items == ()


def test_suspension_deactivates_and_return_reactivates() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    suspended = person("u1", "ann@x.io", status="SUSPENDED", firstName="Ann", lastName="Lee")
    result = world.sync(snapshot([suspended]), rules)
    assert actions(result) == [("deactivate_user", "ann")]
    assert result.items[0].reason.rule == "users.sync_status"
    world.apply(result)
    assert world.by_name("ann").active is False
    assert world.links["u1"].active is False
    back = world.sync(snapshot([ANN]), rules)
    assert actions(back) == [("reactivate_user", "ann")]
    world.apply(back)
    assert world.by_name("ann").active is True


def test_user_leaving_scope_and_returning_is_reactivated() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN, BOB]), rules))
    gone = world.sync(snapshot([BOB]), rules)
    assert actions(gone) == [("deactivate_user", "ann")]
    assert gone.items[0].reason.rule == "users.when_removed=deactivate"
    world.apply(gone)
    assert world.sync(snapshot([BOB]), rules).items == ()  # link.active False: not read again
    back = world.sync(snapshot([ANN, BOB]), rules)
    assert actions(back) == [("reactivate_user", "ann")]


def test_when_removed_delete_and_ignore() -> None:
    for mode, expected in (("delete", [("delete_user", "ann")]), ("ignore", [])):
        world, rules = World(), profile(users={**BY_LOCAL, "when_removed": mode})
        world.apply(world.sync(snapshot([ANN, BOB]), rules))
        result = world.sync(snapshot([BOB]), rules)
        assert actions(result) == expected, mode
        world.apply(result)
        assert ("u1" in world.links) is (mode == "ignore")


def test_gone_user_already_missing_in_target_drops_the_link() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN, BOB]), rules))
    del world.users[world.links["u1"].target_key]
    result = world.sync(snapshot([BOB]), rules)
    assert result.items == ()
    assert result.link_deletes == ("u1",)


def test_lead_is_handed_over_before_deactivation() -> None:
    world = World()
    successors = {"default_project_lead": "jadmin", "default_component_lead": "jadmin"}
    rules = profile(users=BY_LOCAL, leads=successors)
    world.apply(world.sync(snapshot([ANN, BOB]), rules))
    world.leads = [LeadRole("project", "PRJ", "Project", "ann"), LeadRole("component", "10", "API", "ann"),
                   LeadRole("project", "OTH", "Other", "bob")]
    result = world.sync(snapshot([BOB]), rules)
    assert [a for a, _ in actions(result)] == ["hand_over_lead", "hand_over_lead", "deactivate_user"]
    assert world.queries[-1].leads is True
    assert {i.new_lead for i in result.items[:2]} == {"jadmin"}
    world.apply(result)
    assert world.by_name("ann").active is False
    assert [r.lead for r in world.leads] == ["jadmin", "jadmin", "bob"]


def test_successors_can_be_set_per_target() -> None:
    rules = profile(users=BY_LOCAL, targets=["jira", "jira-test"],
                    leads={"default_project_lead": "jadmin",
                           "by_target": {"jira-test": {"project": "testlead"}}})
    for target, successor, key in (("jira", "jadmin", "leads.default_project_lead"),
                                   ("jira-test", "testlead", "leads.by_target.jira-test.project")):
        world = World(target=target)
        world.apply(world.sync(snapshot([ANN, BOB]), rules))
        world.leads = [LeadRole("project", "PRJ", "Project", "ann")]
        result = world.sync(snapshot([BOB]), rules)
        handover = result.items[0]
        assert (handover.action.value, handover.new_lead, handover.reason.rule) == (
            "hand_over_lead", successor, key)


def test_lead_without_successor_is_noted_and_deactivation_still_planned() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    world.leads = [LeadRole("project", "PRJ", "Project", "ann")]
    result = world.sync(snapshot([]), rules)
    assert actions(result) == [("deactivate_user", "ann")]
    assert any("default_project_lead" in note for note in result.notes)
    outcomes = world.apply(result)
    assert outcomes[0].error == "refused"  # Jira refuses: the item fails visibly


def test_no_lead_query_without_leads_capability() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    world.sync(snapshot([]), rules, Capabilities())
    assert world.queries[-1].leads is False


def test_protected_user_is_never_touched() -> None:
    world = World()
    admin = person("u0", "admin@x.io")
    rules = profile(users=BY_LOCAL, safety={"protected_users": ["Admin"]})
    world.add_user("admin", "other@x.io")
    result = world.sync(snapshot([admin, ANN]), rules)
    assert actions(result) == [("create_user", "ann")]
    assert any("protected" in note and "admin" in note for note in result.notes)


def test_update_off_and_sync_status_off() -> None:
    world = World()
    world.add_user("ann", "old@x.io", "Old", active=False)
    rules = profile(users={**BY_LOCAL, "update": False, "sync_status": False})
    assert actions(world.sync(snapshot([ANN]), rules)) == [("link_user", "ann")]


def test_custom_attributes_are_set_changed_and_removed() -> None:
    rules = profile(users={**BY_LOCAL, "custom_attributes": {"department": "department", "site": "site"}})
    world = World()
    first = world.sync(snapshot([person("u1", "ann@x.io", department="R&D")]), rules)
    assert actions(first) == [("create_user", "ann"), ("set_user_property", "ann")]
    world.apply(first)
    moved = person("u1", "ann@x.io", site="Oslo")
    result = world.sync(snapshot([moved]), rules)
    changes = sorted((c.field, c.old, c.new) for i in result.items for c in i.changes)
    assert changes == [("department", "R&D", None), ("site", None, "Oslo")]
    world.apply(result)
    assert world.sync(snapshot([moved]), rules).items == ()
    assert world.sync(snapshot([moved]), rules, Capabilities()).items == ()


def test_single_user_run_never_makes_others_gone() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN, BOB]), rules))
    suspended = person("u2", "bob@x.io", status="SUSPENDED", firstName="Bob", lastName="Ray")
    result = world.sync(snapshot([ANN, suspended], single_user="u2"), rules)
    assert actions(result) == [("deactivate_user", "bob")]
    missing = world.sync(snapshot([], single_user="u2"), rules)
    assert actions(missing) == [("deactivate_user", "bob")]


def test_a_linked_user_the_rules_skip_is_not_gone() -> None:
    # A person whose username attribute went empty is left out by the rules, not removed from the
    # source: their account stays active and is neither read nor deactivated; a real departure is.
    world = World()
    rules = profile(users={"username": {"attribute": "employeeId"}})
    world.apply(world.sync(snapshot([person("u1", "ann@x.io", employeeId="E-1"),
                                     person("u2", "bob@x.io", employeeId="E-2")]), rules))
    result = world.sync(snapshot([person("u1", "ann@x.io", employeeId=None),
                                  person("u2", "bob@x.io", employeeId="E-2")]), rules)
    assert result.items == ()
    assert world.queries[-1].user_keys == frozenset()
    gone = world.sync(snapshot([person("u1", "ann@x.io", employeeId=None)]), rules)
    assert actions(gone) == [("deactivate_user", "e-2")]


def test_items_are_sorted_by_phase_then_subject_and_carry_target() -> None:
    world = World()
    result = world.sync(snapshot([BOB, ANN]), profile(users=BY_LOCAL), JIRA)
    assert [i.user for i in result.items] == ["ann", "bob"]
    assert all(i.target == "jira" for i in result.items)


def test_username_freed_by_a_rename_in_this_plan_is_taken_on_the_next_run() -> None:
    world, rules = World(), profile(users=BY_LOCAL)
    world.apply(world.sync(snapshot([ANN]), rules))
    moved = person("u1", "ann.lee@x.io", email="ann@x.io", firstName="Ann", lastName="Lee")
    newcomer = person("u5", "ann@y.io", firstName="Ann", lastName="Other")
    result = world.sync(snapshot([moved, newcomer]), rules)
    assert actions(result) == [("rename_user", "ann")]
    assert result.disputes == ()
    assert any("next run" in note for note in result.notes)
    world.apply(result)
    assert actions(world.sync(snapshot([moved, newcomer]), rules)) == [("create_user", "ann")]


def test_usernames_compare_the_way_the_target_does() -> None:
    rules = profile(users=BY_LOCAL)
    for caps, expected in ((Capabilities(), [("link_user", "Ann")]),
                           (Capabilities(case_sensitive_names=True), [("create_user", "ann")])):
        world = World()
        world.add_user("Ann", "other@x.io", "Ann Other")
        result = world.sync(snapshot([ANN]), rules, caps)
        assert [a for a in actions(result) if a[0] in ("link_user", "create_user")] == expected
