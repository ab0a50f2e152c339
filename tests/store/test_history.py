"""Run history: runs and items round trip with counts, listing, last_source_users, bad input."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest

from idsync.domain.plan import Action, Change, ItemResult, Outcome, PlanItem
from idsync.domain.records import Reason
from idsync.store import RunNotFound, Store
from tests.store.plans import sample_plan, sample_results


def test_a_started_run_is_running(store: Store) -> None:
    run_id = store.start_run("staff", "schedule")
    [summary] = store.runs()
    assert (summary.id, summary.profile, summary.trigger, summary.status) == (
        run_id,
        "staff",
        "schedule",
        "running",
    )
    assert summary.finished_at is None
    assert summary.duration_s is None
    assert store.run(run_id).items == ()


def test_run_and_items_round_trip_with_counts(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    store.finish_run(
        run_id, status="partial", plan=sample_plan(), results=sample_results(), timings={"read_source": 1.5}
    )
    detail = store.run(run_id)
    summary = detail.summary
    assert summary.status == "partial"
    assert summary.started_at.tzinfo is not None
    assert summary.finished_at is not None
    assert summary.duration_s is not None
    assert summary.duration_s >= 0
    assert (summary.source, summary.scope, summary.source_users, summary.source_groups) == (
        "okta",
        "app 0oa1",
        120,
        7,
    )
    assert summary.item_count == 5
    assert summary.counts_by_action == {
        "create_user": 1,
        "update_user": 1,
        "add_member": 1,
        "hand_over_lead": 1,
        "deactivate_user": 1,
    }
    assert summary.counts_by_outcome == {"applied": 2, "failed": 1, "skipped": 1, "planned": 1}
    assert detail.timings == {"read_source": 1.5}
    assert detail.notes == ("group contractors is missing and create_missing is off",)
    assert detail.disputes == (
        {"username": "dan", "source_ids": ["00u8", "00u9"], "detail": "two Okta users map to dan"},
    )
    assert detail.managed_users == {"jira": 100}
    assert detail.plan_created_at is not None
    assert detail.plan_created_at.isoformat() == "2025-03-01T12:00:00+00:00"

    created, updated, member, lead, deactivated = detail.items
    assert [item.index for item in detail.items] == [0, 1, 2, 3, 4]
    assert (created.action, created.outcome, created.target_key, created.duration_ms) == (
        "create_user",
        "applied",
        "JIRAUSER1",
        12.5,
    )
    assert (created.reason_rule, created.reason_detail, created.source_id) == ("scope", "in app 0oa1", "00u1")
    assert updated.changes == (Change("displayName", "Bob", "Bob Stone"), Change("active", False, True))
    assert (updated.outcome, updated.error, updated.attempts, updated.user_key) == (
        "failed",
        "400: displayName too long",
        3,
        "JIRAUSER2",
    )
    assert (member.subject, member.user, member.group) == ("ada → eng", "ada", "eng")
    assert (lead.subject, lead.new_lead, lead.outcome, lead.attempts) == (
        "project Engineering",
        "admin",
        "skipped",
        0,
    )
    assert (deactivated.outcome, deactivated.error, deactivated.attempts) == ("planned", None, 0)


def test_to_dict_is_json(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="partial", plan=sample_plan(), results=sample_results(), timings={})
    detail = json.loads(json.dumps(store.run(run_id).to_dict()))
    assert detail["id"] == run_id
    assert detail["items"][1]["changes"][0] == {"field": "displayName", "old": "Bob", "new": "Bob Stone"}
    assert detail["items"][1]["reason"] == {
        "rule": "attributes",
        "detail": "displayName from firstName lastName",
    }
    assert detail["counts_by_outcome"]["failed"] == 1
    summaries = json.loads(json.dumps([run.to_dict() for run in store.runs()]))
    assert summaries[0]["status"] == "partial"


def test_a_failed_run_without_plan_keeps_its_error(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="failed", plan=None, results=(), timings={}, error="Okta page 3: 500")
    detail = store.run(run_id)
    assert (detail.summary.status, detail.summary.error, detail.summary.item_count) == (
        "failed",
        "Okta page 3: 500",
        0,
    )
    assert detail.summary.source_users is None
    assert detail.items == ()


def test_dry_run_items_are_planned(store: Store) -> None:
    run_id = store.start_run("staff", "cli", dry_run=True)
    store.finish_run(run_id, status="planned", plan=sample_plan(), results=(), timings={})
    summary = store.run(run_id).summary
    assert summary.dry_run is True
    assert summary.counts_by_outcome == {"planned": 5}


def test_runs_newest_first_filtered_and_limited(store: Store) -> None:
    ids = [store.start_run(profile, "manual") for profile in ("staff", "contractors", "staff", "staff")]
    assert [run.id for run in store.runs()] == ids[::-1]
    assert [run.id for run in store.runs("staff")] == [ids[3], ids[2], ids[0]]
    assert [run.id for run in store.runs("staff", limit=2)] == [ids[3], ids[2]]
    assert store.runs("nobody") == []
    assert sorted(ids) == ids  # ids sort by start time


def test_unknown_run_is_a_key_error_with_a_clear_message(store: Store) -> None:
    with pytest.raises(KeyError) as caught:
        store.run("20250101-000000000-dead")
    assert isinstance(caught.value, RunNotFound)
    assert (
        str(caught.value)
        == "no run with id '20250101-000000000-dead'; `idsync history` lists the recent runs"
    )


def test_finishing_an_unknown_run(store: Store) -> None:
    with pytest.raises(RunNotFound):
        store.finish_run("nope", status="succeeded", plan=None, results=(), timings={})


def test_a_run_finishes_once(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="succeeded", plan=sample_plan(), results=(), timings={})
    with pytest.raises(ValueError, match="already finished with status 'succeeded'"):
        store.finish_run(run_id, status="failed", plan=None, results=(), timings={})
    assert store.run(run_id).summary.item_count == 5


def test_bad_status_names_the_valid_ones(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    with pytest.raises(ValueError, match="'done' is not a final status; valid: succeeded, partial, failed"):
        store.finish_run(run_id, status="done", plan=None, results=(), timings={})


def test_result_index_outside_the_plan(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    with pytest.raises(ValueError, match=r"index 9 is outside the plan .*5 items: valid 0..4"):
        store.finish_run(
            run_id,
            status="succeeded",
            plan=sample_plan(),
            results=[ItemResult(9, Outcome.APPLIED)],
            timings={},
        )
    assert store.run(run_id).summary.status == "running"


def test_last_source_users_ignores_dry_refused_failed_and_other_profiles(store: Store) -> None:
    assert store.last_source_users("staff") is None

    def run(profile: str, status: str, users: int, *, dry_run: bool = False) -> None:
        run_id = store.start_run(profile, "manual", dry_run=dry_run)
        store.finish_run(
            run_id, status=status, plan=sample_plan(profile, source_users=users), results=(), timings={}
        )

    run("staff", "succeeded", 100)
    run("staff", "partial", 110)
    assert store.last_source_users("staff") == 110
    run("staff", "refused", 3)
    run("staff", "planned", 90, dry_run=True)
    run("staff", "succeeded", 95, dry_run=True)
    run("contractors", "succeeded", 7)
    failed = store.start_run("staff", "manual")
    store.finish_run(failed, status="failed", plan=None, results=(), timings={}, error="boom")
    store.start_run("staff", "manual")  # still running
    assert store.last_source_users("staff") == 110
    run("staff", "no_changes", 111)
    assert store.last_source_users("staff") == 111
    assert store.last_source_users("contractors") == 7


def test_unfinished_runs_are_only_this_profiles_running_runs(store: Store) -> None:
    left_behind = store.start_run("staff", "schedule")
    finished = store.start_run("staff", "manual")
    store.finish_run(finished, status="succeeded", plan=sample_plan(), results=(), timings={})
    elsewhere = store.start_run("contractors", "manual")
    with store.profile_lock("staff", "cli"):
        assert store.unfinished_runs("staff") == [left_behind]
    assert store.unfinished_runs("contractors") == [elsewhere]


def test_items_and_outcomes_are_in_history_while_the_run_goes_on(store: Store) -> None:
    plan = sample_plan()
    run_id = store.start_run("staff", "manual")
    store.begin_apply(run_id, plan)
    detail = store.run(run_id)
    assert detail.summary.status == "running" and detail.summary.item_count == len(plan.items)
    assert {i.outcome for i in detail.items} == {"planned"}
    store.record_outcomes(run_id, [ItemResult(0, Outcome.APPLIED, target_key="JIRAUSER1")])
    journal = store.run_journal(run_id)
    assert journal.items == plan.items  # read back exactly, fingerprints and grants included
    assert list(journal.outcomes) == [0] and journal.outcomes[0].target_key == "JIRAUSER1"
    assert [i for i, _ in journal.open_items] == list(range(1, len(plan.items)))

    rest = [ItemResult(i, Outcome.SKIPPED, error="not started") for i in range(1, len(plan.items))]
    store.close_interrupted(journal, rest, "interrupted: test")
    summary = store.run(run_id).summary
    assert (summary.status, summary.error, summary.finished_at is not None) == \
        ("failed", "interrupted: test", True)
    assert summary.counts_by_outcome == {"applied": 1, "skipped": len(plan.items) - 1}
    assert store.unfinished_runs("staff") == []


def test_finish_after_begin_writes_only_the_outcomes_not_recorded_yet(store: Store) -> None:
    plan = sample_plan()
    run_id = store.start_run("staff", "manual")
    store.begin_apply(run_id, plan)
    first = ItemResult(0, Outcome.APPLIED, target_key="K1")
    store.record_outcomes(run_id, [first])
    results = [first, *(ItemResult(i, Outcome.FAILED, error="boom") for i in range(1, len(plan.items)))]
    store.finish_run(run_id, status="partial", plan=plan, results=results, timings={}, recorded={0})
    detail = store.run(run_id)
    assert [i.outcome for i in detail.items] == ["applied"] + ["failed"] * (len(plan.items) - 1)
    assert detail.summary.counts_by_outcome == {"applied": 1, "failed": len(plan.items) - 1}


def test_a_run_larger_than_one_insert_slice_keeps_every_item_in_order(store: Store) -> None:
    # finish_run inserts item rows in slices (a 200,000-item run must not build every row at once)
    base = sample_plan()
    items = tuple(
        PlanItem(Action.ADD_MEMBER, "jira", Reason("groups", f"member {n}"), user=f"u{n}", group="eng")
        for n in range(4_501)
    )
    plan = replace(base, items=items)
    results = [
        ItemResult(n, Outcome.APPLIED if n % 3 else Outcome.FAILED, error=None) for n in range(0, 4_501, 2)
    ]
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="partial", plan=plan, results=results, timings={})
    detail = store.run(run_id)
    assert detail.summary.item_count == 4_501
    assert [item.index for item in detail.items] == list(range(4_501))
    assert [item.user for item in detail.items] == [f"u{n}" for n in range(4_501)]
    expected = Counter("planned" if n % 2 else ("applied" if n % 3 else "failed") for n in range(4_501))
    assert Counter(item.outcome for item in detail.items) == expected
    assert detail.summary.counts_by_outcome == dict(expected)
    assert detail.summary.counts_by_action == {"add_member": 4_501}
