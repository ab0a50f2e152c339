"""The inverse of a recorded run, scenario by scenario, with plain records: what each applied item
becomes, what is refused (and how it is named) when the target changed since, what is left alone."""

from __future__ import annotations

from collections.abc import Sequence

from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.records import LeadRole, Reason, StateQuery, TargetState, TargetUser
from idsync.engine.undo import DoneItem, Inverse, invert, undo_queries

WHY = Reason("users.update", "source user 00u1 has display_name 'Jane Q. Doe'")


def item(action: Action, user: str | None = None, *, key: str | None = None, sid: str | None = None,
         group: str | None = None, changes: tuple[Change, ...] = (), lead: LeadRole | None = None,
         new_lead: str | None = None, target: str = "jira") -> PlanItem:
    return PlanItem(action=action, target=target, reason=WHY, user=user, user_key=key, source_id=sid,
                    group=group, changes=changes, lead=lead, new_lead=new_lead)


def done(*items: PlanItem, applied: bool = True, keys: dict[int, str] | None = None) -> list[DoneItem]:
    return [DoneItem(i, it, applied, (keys or {}).get(i)) for i, it in enumerate(items)]


def user(key: str, name: str, *, email: str | None = None, display: str | None = None, active: bool = True,
         properties: dict[str, str | None] | None = None, licences: frozenset[str] = frozenset()
         ) -> TargetUser:
    return TargetUser(key, name, email or f"{name}@example.com", display or name.title(), active,
                      properties or {}, licences)


def state(*users: TargetUser, groups: dict[str, frozenset[str] | None] | None = None,
          leads: tuple[LeadRole, ...] = (), target: str = "jira") -> TargetState:
    return TargetState(target, {u.key: u for u in users}, groups or {}, leads)


def undo(entries: Sequence[DoneItem], *states: TargetState, exact: bool = False) -> Inverse:
    return invert("R1", entries, {s.target: s for s in states},
                  case_sensitive={s.target: exact for s in states})


def shape(inverse: Inverse) -> list[tuple[Action, str | None, str | None, str | None, tuple[Change, ...]]]:
    return [(i.action, i.user, i.user_key, i.group, i.changes) for i in inverse.items]


def test_each_applied_action_becomes_its_inverse_with_old_and_new_swapped() -> None:
    run = done(
        item(Action.UPDATE_USER, "jdoe", key="K1", sid="s1",
             changes=(Change("email", "old@example.com", "new@example.com"),
                      Change("display_name", "Jane Doe", "Jane Q. Doe"))),
        item(Action.DEACTIVATE_USER, "bob", key="K2", sid="s2", changes=(Change("active", True, False),)),
        item(Action.REACTIVATE_USER, "eve", key="K3", sid="s3", changes=(Change("active", False, True),)),
        item(Action.SET_USER_PROPERTY, "jdoe", key="K1", sid="s1",
             changes=(Change("department", "Ops", "Eng"),)),
        item(Action.ADD_MEMBER, "jdoe", key="K1", sid="s1", group="team-a"),
        item(Action.REMOVE_MEMBER, "bob", key="K2", sid="s2", group="team-b"),
    )  # fmt: skip
    now = state(
        user("K1", "jdoe", email="new@example.com", display="Jane Q. Doe", properties={"department": "Eng"}),
        user("K2", "bob", active=False),
        user("K3", "eve"),
        groups={"team-a": frozenset({"jdoe"}), "team-b": frozenset()},
    )

    inverse = undo(run, now)

    assert shape(inverse) == [
        (Action.UPDATE_USER, "jdoe", "K1", None, (Change("email", "new@example.com", "old@example.com"),
                                                   Change("display_name", "Jane Q. Doe", "Jane Doe"))),
        (Action.REACTIVATE_USER, "bob", "K2", None, (Change("active", False, True),)),
        (Action.DEACTIVATE_USER, "eve", "K3", None, (Change("active", True, False),)),
        (Action.SET_USER_PROPERTY, "jdoe", "K1", None, (Change("department", "Eng", "Ops"),)),
        (Action.REMOVE_MEMBER, "jdoe", "K1", "team-a", ()),
        (Action.ADD_MEMBER, "bob", "K2", "team-b", ()),
    ]
    assert inverse.refusals == ()
    assert all(str(i.reason).startswith("undo of run R1: reverses its ") for i in inverse.items)
    assert str(inverse.items[0].reason) == \
        "undo of run R1: reverses its update_user of jdoe (item 0, users.update)"
    # user-level items update the link (re-read next run); memberships carry no fingerprint
    assert [i.fingerprint for i in inverse.items] == ["", "", "", "", None, None]


def test_a_created_user_is_deactivated_and_its_memberships_and_properties_taken_back() -> None:
    run = done(
        item(Action.CREATE_USER, "newbie", sid="s9", changes=(Change("email", None, "newbie@example.com"),)),
        item(Action.SET_USER_PROPERTY, "newbie", sid="s9", changes=(Change("department", None, "Eng"),)),
        item(Action.ADD_MEMBER, "newbie", sid="s9", group="jira-software-users"),
        keys={0: "K9"},
    )
    now = state(user("K9", "newbie", properties={"department": "Eng"}),
                groups={"jira-software-users": frozenset({"newbie", "admin"})})

    inverse = undo(run, now)

    assert shape(inverse) == [
        (Action.DEACTIVATE_USER, "newbie", "K9", None, (Change("active", True, False),)),
        (Action.SET_USER_PROPERTY, "newbie", "K9", None, (Change("department", "Eng", None),)),
        (Action.REMOVE_MEMBER, "newbie", "K9", "jira-software-users", ()),
    ]
    assert not any(i.action is Action.DELETE_USER for i in inverse.items)


def test_a_value_changed_since_the_run_is_refused_and_named_and_the_rest_still_undone() -> None:
    run = done(
        item(Action.UPDATE_USER, "jdoe", key="K1", sid="s1",
             changes=(Change("email", "jdoe@old.example", "jdoe@example.com"),)),
        item(Action.UPDATE_USER, "bob", key="K2", sid="s2",
             changes=(Change("display_name", "Bob", "Robert"),)),
    )  # fmt: skip
    now = state(user("K1", "jdoe", email="x@elsewhere.example"), user("K2", "bob", display="Robert"))

    inverse = undo(run, now)

    assert shape(inverse) == [
        (Action.UPDATE_USER, "bob", "K2", None, (Change("display_name", "Robert", "Bob"),))]
    (refusal,) = inverse.refusals
    assert (refusal.index, refusal.action, refusal.target) == (0, Action.UPDATE_USER, "jira")
    assert refusal.subject == "jdoe"
    assert refusal.detail == "jdoe's e-mail is now 'x@elsewhere.example', the run set 'jdoe@example.com'"
    assert "jdoe [jira]" in str(refusal) and "item 0" in str(refusal)


def test_only_the_changed_field_of_an_update_is_refused() -> None:
    run = done(item(Action.UPDATE_USER, "jdoe", key="K1", changes=(
        Change("email", "a@example.com", "b@example.com"), Change("display_name", "Jane", "Jane Doe"))))
    now = state(user("K1", "jdoe", email="b@example.com", display="J. Doe"))

    inverse = undo(run, now)

    assert shape(inverse) == [
        (Action.UPDATE_USER, "jdoe", "K1", None, (Change("email", "b@example.com", "a@example.com"),))]
    assert [r.detail for r in inverse.refusals] == [
        "jdoe's display name is now 'J. Doe', the run set 'Jane Doe'"]


def test_what_is_already_as_before_the_run_needs_no_item_and_is_noted() -> None:
    run = done(
        item(Action.CREATE_USER, "newbie", sid="s9"),
        item(Action.ADD_MEMBER, "jdoe", key="K1", group="team-a"),
        item(Action.DEACTIVATE_USER, "bob", key="K2"),
        keys={0: "K9"},
    )
    now = state(user("K9", "newbie", active=False), user("K1", "jdoe"), user("K2", "bob", active=True),
                groups={"team-a": frozenset()})

    inverse = undo(run, now)

    assert inverse.items == () and inverse.refusals == ()
    assert any("newbie" in n and "inactive" in n and "nothing to undo" in n for n in inverse.notes)
    assert any("'jdoe' is not a member of 'team-a'" in note for note in inverse.notes)


def test_a_user_gone_from_the_target_is_refused() -> None:
    inverse = undo(done(item(Action.DEACTIVATE_USER, "bob", key="K2")), state())

    assert inverse.items == ()
    assert [r.detail for r in inverse.refusals] == ["'bob' no longer exists in jira"]


def test_failed_skipped_and_unrun_items_are_not_inverted() -> None:
    run = [
        DoneItem(0, item(Action.CREATE_USER, "ghost", sid="s7"), applied=False),
        DoneItem(1, item(Action.ADD_MEMBER, "ghost", sid="s7", group="team-a"), applied=False),
        DoneItem(2, item(Action.REACTIVATE_USER, "eve", key="K3"), applied=True),
    ]

    inverse = undo(run, state(user("K3", "eve"), groups={"team-a": frozenset()}))

    assert shape(inverse) == [(Action.DEACTIVATE_USER, "eve", "K3", None, (Change("active", True, False),))]
    assert any(note.startswith("2 items of run R1 did not apply") for note in inverse.notes)
    assert undo_queries(run) == {"jira": StateQuery(user_keys=frozenset({"K3"}))}


def test_a_rename_goes_back_and_the_users_later_items_use_the_old_name() -> None:
    run = done(
        item(Action.RENAME_USER, "jdoe", key="K1", sid="s1",
             changes=(Change("username", "jdoe", "jane.doe"),)),
        item(Action.ADD_MEMBER, "jane.doe", key="K1", sid="s1", group="team-a"),
        item(Action.UPDATE_USER, "jane.doe", key="K1", sid="s1",
             changes=(Change("display_name", "J", "Jane"),)),
    )  # fmt: skip
    now = state(user("K1", "jane.doe", display="Jane"), groups={"team-a": frozenset({"jane.doe"})})

    inverse = undo(run, now)

    assert shape(inverse) == [
        (Action.RENAME_USER, "jane.doe", "K1", None, (Change("username", "jane.doe", "jdoe"),)),
        (Action.REMOVE_MEMBER, "jdoe", "K1", "team-a", ()),
        (Action.UPDATE_USER, "jdoe", "K1", None, (Change("display_name", "Jane", "J"),)),
    ]
    assert undo_queries(run)["jira"] == StateQuery(user_keys=frozenset({"K1"}), usernames=frozenset({"jdoe"}),
                                                   groups=frozenset({"team-a"}))


def test_a_rename_back_to_a_name_taken_since_is_refused_and_later_items_keep_the_new_name() -> None:
    run = done(
        item(Action.RENAME_USER, "jdoe", key="K1", changes=(Change("username", "jdoe", "jane.doe"),)),
        item(Action.ADD_MEMBER, "jane.doe", key="K1", group="team-a"),
    )
    now = state(user("K1", "jane.doe"), user("K5", "jdoe"), groups={"team-a": frozenset({"jane.doe"})})

    inverse = undo(run, now)

    assert shape(inverse) == [(Action.REMOVE_MEMBER, "jane.doe", "K1", "team-a", ())]
    assert [r.detail for r in inverse.refusals] == [
        "the old name 'jdoe' is now held by another user (key K5) in jira"]


def test_a_user_renamed_since_is_refused() -> None:
    run = done(item(Action.RENAME_USER, "jdoe", key="K1", changes=(Change("username", "jdoe", "jane.doe"),)))

    inverse = undo(run, state(user("K1", "jane.smith")))

    assert [r.detail for r in inverse.refusals] == [
        "the user the run renamed to 'jane.doe' is now named 'jane.smith'"]


def test_a_membership_of_a_group_gone_since_is_refused() -> None:
    inverse = undo(done(item(Action.REMOVE_MEMBER, "bob", key="K2", group="team-z")),
                   state(groups={"team-z": None}))

    assert [r.detail for r in inverse.refusals] == ["group 'team-z' no longer exists in jira"]


def test_member_names_compare_as_the_target_does() -> None:
    run = done(item(Action.ADD_MEMBER, "JDoe", group="Team-A"))

    folded = undo(run, state(groups={"Team-A": frozenset({"jdoe"})}))
    exact = undo(run, state(groups={"Team-A": frozenset({"jdoe"})}), exact=True)

    assert shape(folded) == [(Action.REMOVE_MEMBER, "JDoe", None, "Team-A", ())]
    assert exact.items == () and any("is not a member" in note for note in exact.notes)


def test_a_lead_is_handed_back_unless_someone_else_leads_it_now() -> None:
    role = LeadRole("project", "ENG", "Engineering", "bob")
    run = done(
        item(Action.HAND_OVER_LEAD, "bob", key="K2", sid="s2", lead=role, new_lead="admin"),
        item(Action.DEACTIVATE_USER, "bob", key="K2", sid="s2", changes=(Change("active", True, False),)),
    )
    now = state(user("K2", "bob", active=False), leads=(LeadRole("project", "ENG", "Engineering", "admin"),))

    inverse = undo(run, now)

    assert [(i.action, i.lead, i.new_lead) for i in inverse.items] == [
        (Action.HAND_OVER_LEAD, LeadRole("project", "ENG", "Engineering", "admin"), "bob"),
        (Action.REACTIVATE_USER, None, None),
    ]
    taken = undo(run, state(user("K2", "bob", active=False),
                            leads=(LeadRole("project", "ENG", "Engineering", "carol"),)))
    assert [r.detail for r in taken.refusals] == [
        "project 'Engineering' is now led by 'carol', the run made 'admin' its lead"]
    unrecorded = undo(done(item(Action.HAND_OVER_LEAD, "bob", key="K2", new_lead="admin")),
                      state(user("K2", "bob")))
    assert "does not record which role" in unrecorded.refusals[0].detail
    assert undo_queries(run)["jira"].leads


def test_what_cannot_be_undone_is_refused_or_noted() -> None:
    run = done(
        item(Action.DELETE_USER, "gone", key="K8"),
        item(Action.CREATE_GROUP, group="team-new"),
        item(Action.LINK_USER, "claimed", key="K4", sid="s4"),
        item(Action.RENAME_GROUP, group="team-b2", changes=(Change("name", "team-b", "team-b2"),)),
    )

    inverse = undo(run, state())

    assert inverse.items == ()
    assert [r.action for r in inverse.refusals] == [Action.DELETE_USER, Action.RENAME_GROUP]
    assert "cannot be brought back" in inverse.refusals[0].detail
    assert any("group 'team-new'" in note and "left in place" in note for note in inverse.notes)
    assert any("'claimed'" in note and "link stays" in note for note in inverse.notes)


def test_an_emptied_field_is_not_written_back() -> None:
    run = done(item(Action.UPDATE_USER, "jdoe", key="K1", changes=(Change("display_name", None, "Jane"),)))

    inverse = undo(run, state(user("K1", "jdoe", display="Jane")))

    assert inverse.items == ()
    assert [r.detail for r in inverse.refusals] == [
        "jdoe had no display name before the run, and idsync does not write an empty display name"]


def test_licences_taken_away_are_given_back() -> None:
    run = done(item(Action.REVOKE_LICENCE, "bob", key="K2", group="stash-users",
                    changes=(Change("licence", True, False),)))

    inverse = undo(run, state(user("K2", "bob", active=False)))

    assert shape(inverse) == [
        (Action.RESTORE_LICENCE, "bob", "K2", "stash-users", (Change("licence", False, True),))]


def test_undoing_the_undo_gives_back_the_runs_items() -> None:
    role = LeadRole("project", "ENG", "Engineering", "bob")
    original = (
        item(Action.CREATE_USER, "newbie", sid="s9"),
        item(Action.ADD_MEMBER, "newbie", sid="s9", group="team-a"),
        item(Action.UPDATE_USER, "jdoe", key="K1", sid="s1", changes=(Change("display_name", "J", "Jane"),)),
        item(Action.SET_USER_PROPERTY, "jdoe", key="K1", sid="s1",
             changes=(Change("department", None, "Eng"),)),
        item(Action.HAND_OVER_LEAD, "bob", key="K2", sid="s2", lead=role, new_lead="admin"),
        item(Action.DEACTIVATE_USER, "bob", key="K2", sid="s2", changes=(Change("active", True, False),)),
        item(Action.REMOVE_MEMBER, "bob", key="K2", sid="s2", group="team-b"),
    )  # fmt: skip
    after_run = state(
        user("K9", "newbie"), user("K1", "jdoe", display="Jane", properties={"department": "Eng"}),
        user("K2", "bob", active=False), groups={"team-a": frozenset({"newbie"}), "team-b": frozenset()},
        leads=(LeadRole("project", "ENG", "Engineering", "admin"),),
    )
    first = undo(done(*original, keys={0: "K9"}), after_run)
    assert first.refusals == ()
    after_undo = state(
        user("K9", "newbie", active=False), user("K1", "jdoe", display="J"), user("K2", "bob"),
        groups={"team-a": frozenset(), "team-b": frozenset({"bob"})},
        leads=(LeadRole("project", "ENG", "Engineering", "bob"),),
    )

    second = invert("U1", done(*first.items), {"jira": after_undo})

    assert second.refusals == ()
    back = sorted((i.action.phase, i.action, i.user, i.group, i.changes, i.new_lead) for i in second.items)
    assert back == sorted([
        (Action.REACTIVATE_USER.phase, Action.REACTIVATE_USER, "newbie", None,
         (Change("active", False, True),), None),
        (Action.ADD_MEMBER.phase, Action.ADD_MEMBER, "newbie", "team-a", (), None),
        (Action.UPDATE_USER.phase, Action.UPDATE_USER, "jdoe", None,
         (Change("display_name", "J", "Jane"),), None),
        (Action.SET_USER_PROPERTY.phase, Action.SET_USER_PROPERTY, "jdoe", None,
         (Change("department", None, "Eng"),), None),
        (Action.HAND_OVER_LEAD.phase, Action.HAND_OVER_LEAD, "bob", None, (), "admin"),
        (Action.DEACTIVATE_USER.phase, Action.DEACTIVATE_USER, "bob", None,
         (Change("active", True, False),), None),
        (Action.REMOVE_MEMBER.phase, Action.REMOVE_MEMBER, "bob", "team-b", (), None),
    ])  # fmt: skip


def test_queries_read_exactly_what_the_run_touched_per_target() -> None:
    run = done(
        item(Action.CREATE_USER, "newbie", sid="s9"),
        item(Action.SET_USER_PROPERTY, "newbie", sid="s9", changes=(Change("department", None, "Eng"),)),
        item(Action.ADD_MEMBER, "newbie", sid="s9", group="team-a"),
        item(Action.UPDATE_USER, "jdoe", key="K1", changes=(Change("display_name", "J", "Jane"),),
             target="conf"),
        item(Action.CREATE_GROUP, group="team-new", target="conf"),
        keys={0: "K9"},
    )

    assert undo_queries(run) == {
        "jira": StateQuery(user_keys=frozenset({"K9"}), groups=frozenset({"team-a"}),
                           property_keys=frozenset({"department"})),
        "conf": StateQuery(user_keys=frozenset({"K1"})),
    }
