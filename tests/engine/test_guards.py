"""The safety guards, scenario by scenario: each limit at, below and above its threshold, per target."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from idsync.config.profiles import SafetyRules
from idsync.domain.errors import GuardRefused
from idsync.domain.plan import Action, Plan, PlanItem
from idsync.domain.records import Reason
from idsync.engine.guards import GuardReport, check

GONE = Reason("users.when_removed", "no longer assigned to the app")
LIMITS = SafetyRules(
    max_deactivations=5,
    max_deactivation_percent=None,
    max_deletions=2,
    max_membership_removals=3,
    protected_users=["Admin"],
    protected_groups=["jira-administrators"],
)


def items(action: Action, count: int, target: str = "jira", *, group: str | None = None) -> list[PlanItem]:
    return [
        PlanItem(action=action, target=target, reason=GONE, user=f"user{n}", group=group)
        for n in range(count)
    ]


def plan(*parts: list[PlanItem], managed: dict[str, int] | None = None, source_users: int = 100) -> Plan:
    return Plan(
        profile="okta-to-jira",
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        items=tuple(item for part in parts for item in part),
        source="okta-prod",
        source_users=source_users,
        source_groups=10,
        managed_users=managed if managed is not None else {"jira": 1000, "jira-test": 1000},
    )


def run(p: Plan, safety: SafetyRules = LIMITS, *, override: bool = False, previous: int | None = 100
        ) -> GuardReport:
    return check(p, safety, allow_over_limit=override, previous_source_users=previous)


@pytest.mark.parametrize(
    ("action", "limit", "allowed", "what"),
    [
        (Action.DEACTIVATE_USER, "max_deactivations", 5, "deactivations"),
        (Action.DELETE_USER, "max_deletions", 2, "deletions"),
        (Action.REMOVE_MEMBER, "max_membership_removals", 3, "membership removals"),
    ],
)
def test_count_limits_below_at_and_above(action: Action, limit: str, allowed: int, what: str) -> None:
    group = "developers" if action is Action.REMOVE_MEMBER else None
    assert not run(plan(items(action, allowed - 1, group=group))).violations
    assert not run(plan(items(action, allowed, group=group))).refused
    report = run(plan(items(action, allowed + 1, group=group)))
    assert report.refused
    (violation,) = report.violations
    assert (violation.limit, violation.actual, violation.allowed, violation.target) == (
        limit, allowed + 1, allowed, "jira")
    assert report.message == (
        f"refused: {allowed + 1} {what} in target 'jira' exceed safety.{limit} = {allowed} for profile "
        "'okta-to-jira'. Review the plan, then re-run with --allow-over-limit or raise the limit."
    )


def test_brief_example_message() -> None:
    report = run(plan(items(Action.DEACTIVATE_USER, 57)), SafetyRules(max_deactivation_percent=None))
    assert report.message == (
        "refused: 57 deactivations in target 'jira' exceed safety.max_deactivations = 50 for profile "
        "'okta-to-jira'. Review the plan, then re-run with --allow-over-limit or raise the limit."
    )


def test_limits_are_per_target() -> None:
    split = plan(items(Action.DEACTIVATE_USER, 5), items(Action.DEACTIVATE_USER, 5, "jira-test"))
    assert not run(split).violations
    over = plan(items(Action.DEACTIVATE_USER, 5), items(Action.DEACTIVATE_USER, 6, "jira-test"))
    (violation,) = run(over).violations
    assert violation.target == "jira-test"


def test_other_actions_do_not_count() -> None:
    harmless = plan(
        items(Action.CREATE_USER, 50), items(Action.UPDATE_USER, 50), items(Action.ADD_MEMBER, 50, group="g"),
        items(Action.REACTIVATE_USER, 50),
    )
    assert not run(harmless).violations


def test_unset_limit_is_disabled() -> None:
    unlimited = SafetyRules(max_deactivations=None, max_deactivation_percent=None)
    assert not run(plan(items(Action.DEACTIVATE_USER, 500)), unlimited).violations


def test_percent_of_managed_users_at_and_above() -> None:
    safety = SafetyRules(max_deactivations=None, max_deletions=None, max_deactivation_percent=10)
    managed = {"jira": 200}
    assert not run(plan(items(Action.DEACTIVATE_USER, 20), managed=managed), safety).violations
    mixed = plan(items(Action.DEACTIVATE_USER, 15), items(Action.DELETE_USER, 6), managed=managed)
    report = run(mixed, safety)
    (violation,) = report.violations
    assert (violation.limit, violation.actual, violation.allowed) == ("max_deactivation_percent", 10.5, 10)
    assert report.message == (
        "refused: 21 deactivations and deletions in target 'jira' are 10.5% of the 200 users idsync manages "
        "there, over safety.max_deactivation_percent = 10 for profile 'okta-to-jira'. Review the plan, "
        "then re-run with --allow-over-limit or raise the limit."
    )


def test_percent_with_no_managed_users_counts_as_everything() -> None:
    safety = SafetyRules(max_deactivation_percent=50)
    (violation,) = run(plan(items(Action.DEACTIVATE_USER, 2), managed={}), safety).violations
    assert violation.actual == 100.0


def test_percent_ignores_a_lone_loss_and_single_user_plans() -> None:
    safety = SafetyRules(max_deactivations=None, max_deletions=None, max_deactivation_percent=10)
    small = {"jira": 2}
    assert not run(plan(items(Action.DEACTIVATE_USER, 1), managed=small), safety).violations
    single = replace(plan(items(Action.DEACTIVATE_USER, 2), managed=small), single_user="00u1")
    assert not run(single, safety).violations
    (violation,) = run(plan(items(Action.DEACTIVATE_USER, 2), managed=small), safety).violations
    assert violation.limit == "max_deactivation_percent"


def test_override_lifts_limits_but_keeps_them_on_record() -> None:
    over = plan(items(Action.DEACTIVATE_USER, 6), items(Action.REMOVE_MEMBER, 4, group="g"))
    report = run(over, override=True)
    assert not report.refused
    assert [v.limit for v in report.overridden] == ["max_deactivations", "max_membership_removals"]
    assert report.message.startswith("allowed by --allow-over-limit: 6 deactivations in target 'jira'")
    report.raise_if_refused()


def test_refused_report_raises_guard_refused() -> None:
    report = run(plan(items(Action.DELETE_USER, 3)))
    with pytest.raises(GuardRefused, match=r"3 deletions .*max_deletions = 2"):
        report.raise_if_refused()


def test_empty_source_after_a_populated_run_is_refused_even_with_override() -> None:
    empty = plan(source_users=0)
    report = run(empty, override=True, previous=840)
    assert report.refused
    (violation,) = report.violations
    assert violation.limit == "refuse_empty_source"
    assert not violation.overridable
    assert "returned no users although the previous run of profile 'okta-to-jira' read 840" in report.message
    assert "safety.refuse_empty_source: false" in report.message


@pytest.mark.parametrize("previous", [None, 0])
def test_empty_source_without_a_populated_previous_run_is_fine(previous: int | None) -> None:
    assert not run(plan(source_users=0), previous=previous).violations


def test_empty_source_check_can_be_switched_off() -> None:
    safety = SafetyRules(refuse_empty_source=False)
    assert not run(plan(source_users=0), safety, previous=840).violations


def test_protected_user_and_group_refused_even_with_override() -> None:
    touching = plan(
        [PlanItem(action=Action.UPDATE_USER, target="jira", reason=GONE, user="admin")],
        [PlanItem(action=Action.ADD_MEMBER, target="jira", reason=GONE, user="bob",
                  group="JIRA-Administrators")],
        [PlanItem(action=Action.ADD_MEMBER, target="jira", reason=GONE, user="bob", group="developers")],
    )
    report = run(touching, override=True)
    assert report.refused
    assert sorted(v.limit for v in report.blocking) == ["protected_groups", "protected_users"]
    assert ("refused: 1 plan item touches protected user 'admin' in target 'jira' "
            "(safety.protected_users of profile 'okta-to-jira')") in report.message
    assert "1 plan item touches protected group 'JIRA-Administrators'" in report.message


def test_plan_within_every_limit_passes_quietly() -> None:
    fine = plan(items(Action.DEACTIVATE_USER, 5), items(Action.DELETE_USER, 2), items(Action.CREATE_USER, 9))
    report = run(fine)
    assert not report.refused
    assert report.violations == ()
    assert report.message == ""
