"""Licence seats, scenario by scenario with plain records: who takes a seat (new users, returning users,
users put into a licence-granting group), the guard's refusal naming the figures, and
`hold_new_users` leaving out the users past the last seat in username order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from idsync.config.profiles import Profile, SafetyRules
from idsync.domain.plan import Action, Plan, PlanItem, SeatCount
from idsync.domain.records import Capabilities, Link, Reason, SeatPool, SourceUser, TargetState, TargetUser
from idsync.engine.diff import state_query
from idsync.engine.diff_seats import hold_new_users, seat_counts, seat_notes
from idsync.engine.guards import check
from idsync.rules.desired import desired_state
from tests.engine.world import JIRA, World
from tests.rules.builders import group, person, profile, snapshot

JIRA_SEATS = replace(JIRA, licence_seats=True)
CONFLUENCE_SEATS = Capabilities(licence_seats=True, user_groups=True)
BITBUCKET_SEATS = Capabilities(deactivate=False, licence_groups=True, licence_seats=True)
SOFTWARE = SeatPool("jira-software", "Jira Software", 5, frozenset({"jira-software-users"}), on_create=True)
DESK = SeatPool("jira-servicedesk", "Jira Service Management", 1, frozenset({"jira-servicedesk-users"}))
CONFLUENCE = SeatPool("confluence", "Confluence", 2, on_create=True)
BITBUCKET = SeatPool("bitbucket", "Bitbucket", 1, frozenset({"stash-users", "bitbucket-admins"}))
BY_LOCAL = {"username": {"attribute": "login", "regex": "(.*)@.*", "replace": "$1"}}
WHY = Reason("test", "scenario")
NAMES = ["hal", "ann", "gus", "bob", "fay", "cid", "eve", "dan"]  # 8 new users, not in username order


def _people(names: list[str]) -> list[SourceUser]:
    return [person(f"u-{name}", f"{name}@x.io") for name in names]


def _plan(*counts: SeatCount, items: tuple[PlanItem, ...] = ()) -> Plan:
    return Plan(profile="p", created_at=datetime(2026, 1, 5, tzinfo=UTC), items=items, source="okta",
                source_users=10, source_groups=1, seats=counts, managed_users={"jira": 10})


def _new_users_world() -> tuple[World, Profile]:
    world = World(pools=(SOFTWARE,))
    world.add_user("admin", groups=["jira-software-users"])
    world.groups["team-x"] = set()
    rules = profile(users=BY_LOCAL, groups={"mode": "on_the_fly", "include": ["^team-"]})
    return world, rules


def test_eight_new_users_need_eight_seats_and_the_guard_names_eight_and_five() -> None:
    world, rules = _new_users_world()
    result = world.sync(snapshot(_people(NAMES), [group("g1", "team-x", *(f"u-{n}" for n in NAMES))]), rules,
                        JIRA_SEATS)
    assert world.queries[-1].seats is True
    assert result.seats == (SeatCount("jira", "jira-software", "Jira Software", 8, 5, tuple(sorted(NAMES))),)
    report = check(_plan(*result.seats, items=result.items), SafetyRules(), allow_over_limit=False,
                   previous_source_users=None)
    assert report.refused
    (violation,) = report.blocking
    figures = (violation.limit, violation.actual, violation.allowed, violation.target)
    assert figures == ("over_seats", 8, 5, "jira")
    assert "8 users" in violation.message and "5 seats left" in violation.message
    assert "--allow-over-limit" in violation.message and "hold_new_users" in violation.message
    lifted = check(_plan(*result.seats), SafetyRules(), allow_over_limit=True, previous_source_users=None)
    assert not lifted.refused and lifted.overridden


def test_hold_new_users_keeps_the_first_five_by_username_and_holds_three_with_all_their_items() -> None:
    world, rules = _new_users_world()
    world.add_user("zed", email="old@x.io", display_name="Zed Tester", groups=["jira-software-users"])
    world.links["u-zed"] = _link("u-zed", world.by_name("zed"))
    people = [*_people(NAMES), person("u-zed", "zed@x.io", email="new@x.io", firstName="Zed")]
    result = world.sync(snapshot(people, [group("g1", "team-x", *(f"u-{n}" for n in NAMES))]), rules,
                        JIRA_SEATS)
    held = hold_new_users(_plan(*result.seats, items=result.items))

    assert [(h.user, h.licences) for h in held.held_users] == [
        ("fay", ("jira-software",)), ("gus", ("jira-software",)), ("hal", ("jira-software",))]
    assert all(h.items == 2 for h in held.held_users), "creation and membership of each held user"
    created = sorted(i.user or "" for i in held.items if i.action is Action.CREATE_USER)
    assert created == ["ann", "bob", "cid", "dan", "eve"]
    assert not any(i.user in {"fay", "gus", "hal"} for i in held.items)
    assert ("update_user", "zed") in [(i.action.value, i.subject) for i in held.items], "the rest applies"
    assert held.seats == (SeatCount("jira", "jira-software", "Jira Software", 5, 5,
                                    ("ann", "bob", "cid", "dan", "eve")),)
    assert any("3 users held back in jira" in note and "fay, gus, hal" in note for note in held.notes)
    assert not check(held, SafetyRules(), allow_over_limit=False, previous_source_users=None).refused
    assert hold_new_users(held) == held, "a plan that fits is left as it is"


def _link(sid: str, user: TargetUser) -> Link:
    """A link whose fingerprint is stale, so the user is read and compared."""
    return Link(sid, "jira", user.key, user.username, "stale", True)


def test_a_returning_user_in_an_access_group_takes_a_seat_one_without_does_not() -> None:
    world = World(pools=(SOFTWARE,))
    ann = world.add_user("ann", active=False, groups=["jira-software-users"])
    bob = world.add_user("bob", active=False)
    world.links = {"u-ann": _link("u-ann", ann), "u-bob": _link("u-bob", bob)}
    result = world.sync(snapshot(_people(["ann", "bob"])), profile(users=BY_LOCAL), JIRA_SEATS)
    assert {("reactivate_user", "ann"), ("reactivate_user", "bob")} <= {
        (i.action.value, i.user) for i in result.items}
    assert [(c.licence, c.users) for c in result.seats] == [("jira-software", ("ann",))]


def test_memberships_take_a_seat_only_for_users_not_holding_the_licence_yet() -> None:
    pool = replace(SOFTWARE, groups=frozenset({"jira-software-users", "jira-developers"}))
    state = TargetState("jira", {
        "K1": TargetUser("K1", "ann", None, None, True, seats=frozenset()),
        "K2": TargetUser("K2", "bob", None, None, True, seats=frozenset({"jira-software"})),
        "K3": TargetUser("K3", "cid", None, None, False, seats=frozenset()),
    }, {"jira-developers": frozenset({"dan"}), "jira-software-users": frozenset()}, seats=(pool,))

    def add(user: str, key: str | None, group_name: str = "jira-software-users") -> PlanItem:
        return PlanItem(Action.ADD_MEMBER, "jira", WHY, user=user, user_key=key, source_id=f"u-{user}",
                        group=group_name)

    items = (add("ann", "K1"), add("bob", "K2"), add("cid", "K3"), add("dan", None), add("eve", None),
             add("ann", "K1", "jira-developers"), add("fay", None, "team-x"))
    (count,) = seat_counts(items, state, JIRA_SEATS)
    # ann: unlicensed, two access groups, one seat; bob holds it; cid is inactive; dan (not read) is in
    # an access group the read shows; eve (not read, in none) is counted; fay joins no access group
    assert count.users == ("ann", "eve")


def test_a_user_needing_two_licences_is_held_when_either_is_full() -> None:
    state = TargetState("jira", {}, {}, seats=(SOFTWARE, DESK))
    items = tuple(
        item for name in ("amy", "ben", "cal")
        for item in (PlanItem(Action.CREATE_USER, "jira", WHY, user=name, source_id=f"u-{name}"),
                     PlanItem(Action.ADD_MEMBER, "jira", WHY, user=name, source_id=f"u-{name}",
                              group="jira-servicedesk-users"))
    )
    counts = seat_counts(items, state, JIRA_SEATS)
    assert [(c.licence, c.needed, c.left) for c in counts] == [
        ("jira-servicedesk", 3, 1), ("jira-software", 3, 5)]
    held = hold_new_users(_plan(*counts, items=items))
    assert [(h.user, h.licences) for h in held.held_users] == [
        ("ben", ("jira-servicedesk",)), ("cal", ("jira-servicedesk",))]
    assert [(c.licence, c.users) for c in held.seats] == [("jira-servicedesk", ("amy",)),
                                                           ("jira-software", ("amy",))]


def test_a_held_users_rename_goes_with_it_its_customer_items_stay() -> None:
    items = (
        PlanItem(Action.RENAME_USER, "jira", WHY, user="old", user_key="K1", source_id="u1"),
        PlanItem(Action.REACTIVATE_USER, "jira", WHY, user="new", user_key="K1", source_id="u1"),
        PlanItem(Action.CREATE_GROUP, "jira", WHY, group="team-x", source_id="g1"),
        PlanItem(Action.ADD_CUSTOMER, "jira", WHY, user="new@x.io", source_id="u1", group="ITH"),
    )
    plan = _plan(SeatCount("jira", "confluence", "Confluence", 1, 0, ("new",)), items=items)
    held = hold_new_users(plan)
    assert [i.action for i in held.items] == [Action.CREATE_GROUP, Action.ADD_CUSTOMER], \
        "a portal customer takes no seat"
    assert [(h.user, h.source_id, h.items) for h in held.held_users] == [("new", "u1", 2)]


def test_confluence_creation_and_reactivation_take_a_seat() -> None:
    world = World(target="confluence", pools=(CONFLUENCE,))
    ann = world.add_user("ann", active=False)
    world.links = {"u-ann": _link("u-ann", ann)}
    result = world.sync(snapshot(_people(["ann", "bob", "cid"])), profile(users=BY_LOCAL), CONFLUENCE_SEATS)
    assert [(c.licence, c.needed, c.left, c.users) for c in result.seats] == [
        ("confluence", 3, 2, ("ann", "bob", "cid"))]
    report = check(_plan(*result.seats, items=result.items), SafetyRules(), allow_over_limit=False,
                   previous_source_users=None)
    assert report.refused and "3 users" in report.message and "2 seats left" in report.message


def test_bitbucket_counts_a_returning_user_once_and_a_creation_only_with_a_licence_group() -> None:
    state = TargetState("bitbucket", {
        "1": TargetUser("1", "ann", None, None, False, seats=frozenset()),
    }, {"stash-users": frozenset()}, seats=(BITBUCKET,))
    items = (
        PlanItem(Action.CREATE_USER, "bitbucket", WHY, user="bob", source_id="u-bob"),
        PlanItem(Action.CREATE_USER, "bitbucket", WHY, user="cid", source_id="u-cid"),
        PlanItem(Action.ADD_MEMBER, "bitbucket", WHY, user="cid", source_id="u-cid", group="stash-users"),
        PlanItem(Action.RESTORE_LICENCE, "bitbucket", WHY, user="ann", user_key="1", source_id="u-ann",
                 group="stash-users"),
        PlanItem(Action.RESTORE_LICENCE, "bitbucket", WHY, user="ann", user_key="1", source_id="u-ann",
                 group="bitbucket-admins"),
    )
    (count,) = seat_counts(items, state, BITBUCKET_SEATS)
    assert (count.needed, count.left, count.users) == (2, 1, ("ann", "cid"))
    refused = check(_plan(count), SafetyRules(), allow_over_limit=False, previous_source_users=None)
    assert refused.refused_targets(["bitbucket", "jira"]).keys() == {"bitbucket"}, "other targets go on"


def test_unlimited_licences_are_counted_but_never_refused() -> None:
    state = TargetState("jira", {}, {}, seats=(replace(SOFTWARE, left=None),))
    items = (PlanItem(Action.CREATE_USER, "jira", WHY, user="ann", source_id="u1"),)
    counts = seat_counts(items, state, JIRA_SEATS)
    assert [(c.needed, c.left) for c in counts] == [(1, None)]
    report = check(_plan(*counts), SafetyRules(), allow_over_limit=False, previous_source_users=None)
    assert not report.refused
    assert hold_new_users(_plan(*counts, items=items)).items == items


def test_unread_seats_are_noted_and_nothing_is_counted() -> None:
    state = TargetState("jira", {}, {}, seats_unread="GET /rest/api/2/applicationrole answered 403: no")
    items = (PlanItem(Action.CREATE_USER, "jira", WHY, user="ann", source_id="u1"),)
    assert seat_counts(items, state, JIRA_SEATS) == ()
    (note,) = seat_notes(state, JIRA_SEATS)
    assert "could not be read" in note and "403" in note
    assert seat_notes(state, JIRA) == ()


def test_seats_are_read_only_from_targets_that_report_them_and_when_someone_may_take_one() -> None:
    rules = profile(users=BY_LOCAL)
    desired = desired_state(snapshot(_people(["ann"])), rules)
    assert state_query(desired, {}, rules, JIRA_SEATS).seats is True
    assert state_query(desired, {}, rules, JIRA).seats is False
    nobody_active = desired_state(snapshot([person("u1", "ann@x.io", status="SUSPENDED")]), rules)
    assert state_query(nobody_active, {}, rules, JIRA_SEATS).seats is False
