"""`idsync history` rendering: the runs table and one run's detail, from a real store."""

from __future__ import annotations

from rich.console import Console

from idsync.console.history_view import counts_text, duration, render_run, render_runs, status_text
from idsync.domain.plan import Action, ItemResult, Outcome, PlanItem
from idsync.domain.records import Reason
from idsync.store import Store
from tests.store.plans import sample_plan, sample_results


def _console() -> Console:
    return Console(record=True, width=220, force_terminal=True, color_system="truecolor")


def test_runs_table(store: Store) -> None:
    done = store.start_run("staff", "schedule")
    store.finish_run(done, status="partial", plan=sample_plan(), results=sample_results(), timings={})
    dry = store.start_run("contractors", "cli", dry_run=True)
    store.finish_run(dry, status="planned", plan=sample_plan("contractors"), results=(), timings={})
    running = store.start_run("staff", "api")
    console = _console()
    render_runs(console, store.runs())
    out = console.export_text()
    lines = out.splitlines()
    positions = [next(i for i, line in enumerate(lines) if run_id in line) for run_id in (running, dry, done)]
    assert positions == sorted(positions)  # newest first
    done_line = next(line for line in lines if done in line)
    assert "partial" in done_line
    assert "schedule" in done_line
    assert "1 failed" in done_line
    assert "planned (dry run)" in next(line for line in lines if dry in line)
    assert "running" in next(line for line in lines if running in line)


def test_runs_table_fits_80_columns(store: Store) -> None:
    done = store.start_run("okta-to-jira", "demo")
    store.finish_run(done, status="partial", plan=sample_plan(), results=sample_results(), timings={})
    console = Console(record=True, width=80, color_system=None)
    render_runs(console, store.runs())
    done_line = next(line for line in console.export_text().splitlines() if done in line)
    assert "okta-to-jira" in done_line
    assert "partial" in done_line


def test_no_runs() -> None:
    console = _console()
    render_runs(console, [])
    assert "No runs recorded yet." in console.export_text()


def test_run_detail_shows_failed_items_first_with_reason_and_error(store: Store) -> None:
    run_id = store.start_run("staff", "manual")
    store.finish_run(
        run_id,
        status="partial",
        plan=sample_plan(),
        results=sample_results(),
        timings={"read_source": 1.25, "apply": 75.0},
        error=None,
    )
    console = _console()
    render_run(console, store.run(run_id))
    out = console.export_text()
    assert run_id in out
    assert "okta (app 0oa1)" in out
    assert "120 users, 7 groups" in out
    assert "read_source 1.25 s, apply 1m 15s" in out
    assert "group contractors is missing" in out
    assert "dan ← 00u8, 00u9" in out
    failed = out.index("400: displayName too long")
    skipped = out.index("depends on a failed item")
    applied = out.index("in app 0oa1")
    planned = out.index("00u3 left")
    assert failed < skipped < applied < planned
    assert "displayName: 'Bob' → 'Bob Stone'" in out
    assert "project Engineering → admin" in out


def test_run_detail_limits_items_but_never_hides_failures(store: Store) -> None:
    plan = sample_plan()
    items = tuple(
        PlanItem(Action.ADD_MEMBER, "jira", Reason("groups", f"g{n}"), user=f"u{n}", group="eng")
        for n in range(30)
    )
    results = [ItemResult(n, Outcome.APPLIED) for n in range(29)]
    results.append(ItemResult(29, Outcome.FAILED, error="boom"))
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="partial", plan=plan.with_items(items), results=results, timings={})
    console = _console()
    render_run(console, store.run(run_id), max_items=5)
    out = console.export_text()
    assert "u29 → eng" in out
    assert "25 more items not shown" in out
    assert "u20 → eng" not in out


def test_source_text_is_never_markup(store: Store) -> None:
    plan = sample_plan()
    item = PlanItem(Action.ADD_MEMBER, "jira", Reason("groups", "[bold red]x"), user="[u]", group="[g]")
    run_id = store.start_run("staff", "manual")
    store.finish_run(run_id, status="succeeded", plan=plan.with_items((item,)), results=(), timings={})
    console = _console()
    render_run(console, store.run(run_id))
    out = console.export_text()
    assert "[u] → [g]" in out
    assert "groups: [bold red]x" in out


def test_helpers() -> None:
    assert status_text("failed").style == "bold red"
    assert status_text("succeeded", dry_run=True).plain == "succeeded (dry run)"
    assert (
        counts_text({"b": 1, "a": 2}, {"applied": 2, "failed": 1}).plain == "a 2, b 1 | failed 1, applied 2"
    )
    assert [duration(s) for s in (None, 0.4, 12.34, 125.0)] == ["running", "0.40 s", "12.3 s", "2m 05s"]
