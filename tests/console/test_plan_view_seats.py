"""The plan view's licence seats: per target the seats the plan takes against those left (over the
limit in red), and the users `safety.over_seats: hold_new_users` held back."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from idsync.console.plan_view import render_plan
from idsync.domain.plan import Action, HeldUser, Plan, PlanItem, SeatCount
from idsync.domain.records import Reason

WHY = Reason("users.create", "assigned to the app")


def _text(plan: Plan) -> str:
    console = Console(record=True, width=120, file=io.StringIO())
    render_plan(console, plan)
    return console.export_text()


def test_seats_and_held_users_are_shown_under_their_target() -> None:
    plan = Plan(
        profile="p", created_at=datetime(2026, 1, 5, tzinfo=UTC), source="okta", source_users=8,
        source_groups=1,
        items=(PlanItem(Action.CREATE_USER, "jira", WHY, user="ann", source_id="u1"),
               PlanItem(Action.CREATE_USER, "wiki", WHY, user="ann", source_id="u1")),
        seats=(SeatCount("jira", "jira-software", "Jira Software", 5, 5, ("ann",)),
               SeatCount("wiki", "confluence", "Confluence", 3, 2, ("ann",)),
               SeatCount("wiki", "other", "Other", 1, None, ("ann",))),
        held_users=(HeldUser("jira", "fay", "u6", ("jira-software",), 3),),
    )
    text = _text(plan)
    jira, wiki = text.split("wiki · ")
    assert "seats Jira Software (jira-software): 5 needed, 5 left" in jira
    assert "! Held back, no licence seat left (1)" in jira
    assert "fay ← source user u6  3 items held; no seat of jira-software" in jira
    assert "seats Confluence (confluence): 3 needed, 2 left" in wiki
    assert "seats Other (other): 1 needed, unlimited" in wiki
    assert "Held back" not in wiki
