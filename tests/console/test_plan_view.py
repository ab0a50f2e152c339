"""The plan and results views, rendered to text by a recording rich Console."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from idsync.config.profiles import SafetyRules
from idsync.console.plan_view import (
    render_guard_report,
    render_plan,
    render_results,
    results_line,
    summary_line,
)
from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Dispute, LeadRole, Reason
from idsync.engine.guards import check

IN_APP = Reason("scope", "assigned to app 0oa1abcd")
GONE = Reason("users.when_removed", "no longer assigned to app 0oa1abcd")
GROUP = Reason("groups.on_the_fly", "member of Okta group jira-devs")


def make_plan(items: list[PlanItem], **extra: object) -> Plan:
    return Plan(
        profile="okta-to-jira",
        created_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        items=tuple(items),
        source="okta-prod",
        source_users=512,
        source_groups=41,
        scope="app 0oa1abcd",
        managed_users={"jira": 480},
        **extra,  # type: ignore[arg-type]
    )


def text_of(plan: Plan, *, full: bool = False, limit: int = 20) -> str:
    console = Console(record=True, width=120, file=io.StringIO())
    render_plan(console, plan, full=full, limit=limit)
    return console.export_text()


SAMPLE = [
    PlanItem(Action.DEACTIVATE_USER, "jira", GONE, user="carol"),
    PlanItem(Action.CREATE_USER, "jira", IN_APP, user="alice", changes=(
        Change("email", None, "alice@example.com"), Change("display_name", None, "Alice Adams"))),
    PlanItem(Action.ADD_MEMBER, "jira", GROUP, user="alice", group="jira-devs"),
    PlanItem(Action.UPDATE_USER, "jira", Reason("users.attributes", "displayName changed in Okta"),
             user="bob", changes=(Change("display_name", "Bob B", "Bob Brown"),)),
    PlanItem(Action.REACTIVATE_USER, "jira", Reason("users.sync_status", "ACTIVE again in Okta"), user="dan"),
    PlanItem(Action.REMOVE_MEMBER, "jira", Reason("groups.on_the_fly", "left Okta group jira-ops"),
             user="bob", group="jira-ops"),
    PlanItem(Action.HAND_OVER_LEAD, "jira", Reason("leads", "carol is deactivated"),
             lead=LeadRole("project", "PRJ", "Project X", "carol"), new_lead="jadmin"),
    PlanItem(Action.CREATE_GROUP, "jira", GROUP, group="jira-devs"),
]


def test_header_names_profile_source_scope_counts_and_target() -> None:
    text = text_of(make_plan(SAMPLE))
    assert "Profile okta-to-jira  (planned 2026-01-05 09:30:00 UTC)" in text
    assert "Source  okta-prod · scope app 0oa1abcd · read 512 users, 41 groups" in text
    assert "Targets jira" in text
    assert "jira: 480 users managed by idsync" in text


def test_items_grouped_in_phase_order_with_signs_changes_and_reasons() -> None:
    lines = text_of(make_plan(SAMPLE)).splitlines()
    titles = [line for line in lines if line and not line.startswith(" ") and "(" in line
              and line[0] in "+~-↺"]
    assert titles == [
        "+ Create groups (1)", "+ Create users (1)", "↺ Reactivate users (1)", "~ Update users (1)",
        "+ Add memberships (1)", "~ Hand over leads (1)", "- Remove memberships (1)",
        "- Deactivate users (1)",
    ]
    text = "\n".join(lines)
    assert (
        "  + alice\n      email: (none) → 'alice@example.com'\n      display_name: (none) → 'Alice Adams'\n"
        "      because scope: assigned to app 0oa1abcd"
    ) in text
    assert "  ~ bob\n      display_name: 'Bob B' → 'Bob Brown'" in text
    assert "  - carol\n      because users.when_removed: no longer assigned to app 0oa1abcd" in text
    assert "  ↺ dan" in text
    assert "  + alice → jira-devs" in text
    assert "  - bob ⨯ jira-ops" in text
    assert ("  ~ project Project X\n      lead: 'carol' → 'jadmin'\n"
            "      because leads: carol is deactivated") in text


def test_summary_line_counts_by_kind() -> None:
    plan = make_plan(SAMPLE)
    assert summary_line(plan) == (
        "Plan: 2 to create, 1 to update, 1 to reactivate, 1 lead handover, 1 to deactivate, "
        "2 membership changes."
    )
    assert text_of(plan).rstrip().endswith(summary_line(plan))


def test_brief_summary_example() -> None:
    items = [PlanItem(Action.CREATE_USER, "jira", IN_APP, user=f"u{n}") for n in range(12)]
    items += [PlanItem(Action.UPDATE_USER, "jira", IN_APP, user=f"v{n}") for n in range(3)]
    items += [PlanItem(Action.DEACTIVATE_USER, "jira", GONE, user=f"w{n}") for n in range(2)]
    items += [PlanItem(Action.ADD_MEMBER, "jira", GROUP, user=f"u{n}", group="g") for n in range(40)]
    assert summary_line(make_plan(items)) == "Plan: 12 to create, 3 to update, 2 to deactivate, " \
                                             "40 membership changes."


def test_empty_plan_says_no_changes() -> None:
    plan = make_plan([])
    assert summary_line(plan) == "No changes."
    assert text_of(plan).rstrip().endswith("No changes.")


def test_long_groups_truncated_unless_full() -> None:
    items = [PlanItem(Action.ADD_MEMBER, "jira", GROUP, user=f"user{n:02}", group="devs") for n in range(25)]
    short = text_of(make_plan(items), limit=20)
    assert "+ Add memberships (25)" in short
    assert "user19 → devs" in short
    assert "user20 → devs" not in short
    assert "… and 5 more (show all with --full)" in short
    full = text_of(make_plan(items), full=True, limit=20)
    assert "user24 → devs" in full
    assert "more (show all" not in full


def test_disputes_and_notes_listed() -> None:
    plan = make_plan(SAMPLE[:1], disputes=(Dispute("jdoe", ("00u1", "00u2"), "both logins map to jdoe"),),
                     notes=("protected user admin skipped",))
    text = text_of(plan)
    assert ("! Disputed, not applied (1)\n  jdoe ← source users 00u1, 00u2\n"
            "      both logins map to jdoe") in text
    assert "Notes (1)\n  • protected user admin skipped" in text


def test_names_with_markup_print_literally_and_items_grouped_by_target_when_several() -> None:
    items = [PlanItem(Action.CREATE_GROUP, "jira", GROUP, group="[red]evil[/red]"),
             PlanItem(Action.CREATE_GROUP, "jira-test", GROUP, group="plain")]
    text = text_of(make_plan(items))
    assert "+ [red]evil[/red]" in text
    first, second = text.index("jira · 1 items"), text.index("jira-test · 1 items")
    assert first < text.index("[red]evil[/red]") < second < text.index("+ plain")


def test_json_plan_summarises_each_target() -> None:
    items = [PlanItem(Action.CREATE_GROUP, "jira", GROUP, group="a"),
             PlanItem(Action.CREATE_GROUP, "wiki", GROUP, group="b"),
             PlanItem(Action.CREATE_GROUP, "wiki", GROUP, group="c")]
    summary = make_plan(items).to_dict()["targets"]
    assert summary["jira"]["counts"] == {"create_group": 1}
    assert summary["wiki"]["items"] == 2


def test_results_counts_failed_items_and_errors() -> None:
    plan = make_plan(SAMPLE)
    results = [ItemResult(i, Outcome.APPLIED) for i in range(len(SAMPLE)) if i not in (0, 3, 5)]
    results.append(ItemResult(3, Outcome.FAILED, error="400 Bad Request: displayName too long", attempts=1))
    results.append(ItemResult(5, Outcome.FAILED, error="503 Service Unavailable", attempts=4))
    console = Console(record=True, width=120, file=io.StringIO())
    render_results(console, plan, results)
    text = console.export_text()
    assert "Failed items (2)" in text
    assert "~ bob  update_user  [jira]\n      400 Bad Request: displayName too long" in text
    assert "- bob ⨯ jira-ops  remove_member  [jira] after 4 attempts\n      503 Service Unavailable" in text
    rows = {cells[2].strip(): [c.strip() for c in cells[3:7]]
            for cells in (line.split("│") for line in text.splitlines()) if len(cells) == 8}
    assert rows["Update users"] == ["", "1", "", ""]
    assert rows["Remove memberships"] == ["", "1", "", ""]
    assert rows["Create users"] == ["1", "", "", ""]
    assert rows["Deactivate users"] == ["", "", "", "1"]
    assert "Not run" in text
    assert results_line(plan, results) == "Applied 5 of 8 items: 2 failed, 1 not run."
    assert text.rstrip().endswith("Applied 5 of 8 items: 2 failed, 1 not run.")


def test_results_line_all_applied() -> None:
    plan = make_plan(SAMPLE[:2])
    assert results_line(plan, [ItemResult(0, Outcome.APPLIED), ItemResult(1, Outcome.APPLIED)]) == \
        "Applied 2 of 2 items."
    assert results_line(make_plan([]), []) == "No changes."


def test_guard_report_printed_literally() -> None:
    items = [PlanItem(Action.ADD_MEMBER, "jira", GROUP, user="bob", group="[bold]admins[/bold]")]
    items += [PlanItem(Action.DEACTIVATE_USER, "jira", GONE, user=f"u{n}") for n in range(3)]
    safety = SafetyRules(max_deactivations=2, max_deactivation_percent=None,
                         protected_groups=["[bold]admins[/bold]"])
    report = check(make_plan(items), safety, allow_over_limit=True, previous_source_users=500)
    console = Console(record=True, width=200, file=io.StringIO())
    render_guard_report(console, report)
    text = console.export_text()
    assert text.startswith("refused: 1 plan item touches protected group '[bold]admins[/bold]' in target")
    overridden = "allowed by --allow-over-limit: 3 deactivations in target 'jira' exceed "
    assert f"\n{overridden}safety.max_deactivations = 2" in text
