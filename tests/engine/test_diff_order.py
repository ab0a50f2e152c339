"""The order of a plan's items: `in_order` (the diff's output order) and `Plan.ordered` (apply's).

Both avoid a key per item for memory's sake; these tests hold them to the orders they replace: by
phase, subject, group, user, lead and source id, and by phase then position."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from idsync.domain.plan import Action, Plan, PlanItem
from idsync.domain.records import LeadRole, Reason
from idsync.engine.diff import in_order

_REASON = Reason("rule", "detail")
# names without characters that sort before the space: for those, the subject "user → group" and the
# pair (user, group) order alike (the one difference `in_order` documents)
_NAMES = st.text(alphabet="abAB-.z9", min_size=1, max_size=4)
_USER_ACTIONS = (Action.CREATE_USER, Action.UPDATE_USER, Action.DEACTIVATE_USER, Action.SET_USER_PROPERTY)
_MEMBER_ACTIONS = (Action.ADD_MEMBER, Action.REMOVE_MEMBER)


def _subject_order(item: PlanItem) -> tuple[int, str, str, str, str, str]:
    """The key the diff sorted by before `in_order`."""
    return (item.action.phase, item.subject, item.group or "", item.user or "",
            item.lead.id if item.lead else "", item.source_id or "")


@st.composite
def _item(draw: st.DrawFn) -> PlanItem:
    kind = draw(st.sampled_from(("user", "member", "group", "lead")))
    source_id = draw(st.none() | _NAMES)
    if kind == "user":
        return PlanItem(draw(st.sampled_from(_USER_ACTIONS)), "jira", _REASON, user=draw(_NAMES),
                        source_id=source_id)
    if kind == "member":
        return PlanItem(draw(st.sampled_from(_MEMBER_ACTIONS)), "jira", _REASON, user=draw(_NAMES),
                        group=draw(_NAMES), source_id=source_id)
    if kind == "group":
        return PlanItem(Action.CREATE_GROUP, "jira", _REASON, group=draw(_NAMES), source_id=source_id)
    lead = LeadRole(draw(st.sampled_from(("project", "component"))), draw(_NAMES), draw(_NAMES), "old")
    return PlanItem(Action.HAND_OVER_LEAD, "jira", _REASON, user=draw(_NAMES), lead=lead, new_lead="new",
                    source_id=source_id)


@settings(max_examples=300, deadline=None)
@given(st.lists(_item(), max_size=40))
def test_items_come_out_by_phase_then_subject(items: list[PlanItem]) -> None:
    ordered = in_order(list(items))
    assert [_subject_order(i) for i in ordered] == sorted(_subject_order(i) for i in items)
    assert sorted(map(id, ordered)) == sorted(map(id, items))  # every item, once


def test_memberships_are_ordered_by_user_then_group_whatever_order_they_were_planned_in() -> None:
    adds = [PlanItem(Action.ADD_MEMBER, "jira", _REASON, user=u, group=g, source_id=f"id-{u}")
            for g in ("team-b", "team-a") for u in ("zoe", "adam", "adam2")]
    ordered = in_order([*reversed(adds), PlanItem(Action.CREATE_GROUP, "jira", _REASON, group="team-b")])
    assert [(i.action, i.user, i.group) for i in ordered] == [
        (Action.CREATE_GROUP, None, "team-b"),
        (Action.ADD_MEMBER, "adam", "team-a"), (Action.ADD_MEMBER, "adam", "team-b"),
        (Action.ADD_MEMBER, "adam2", "team-a"), (Action.ADD_MEMBER, "adam2", "team-b"),
        (Action.ADD_MEMBER, "zoe", "team-a"), (Action.ADD_MEMBER, "zoe", "team-b"),
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(_item(), max_size=40))
def test_apply_takes_items_by_phase_and_in_plan_order_within_one(items: list[PlanItem]) -> None:
    plan = Plan("p", datetime(2026, 1, 1, tzinfo=UTC), tuple(items), "okta", 0, 0)
    pairs = plan.ordered()
    by_phase = sorted(range(len(items)), key=lambda n: (items[n].action.phase, n))
    assert [index for index, _ in pairs] == by_phase
    assert all(plan.items[index] is item for index, item in pairs)
