"""Schedules under `idsync serve` in its own process, on the wall clock, against the Okta and Jira
emulators: interval and cron profiles run on their slots; a slot whose profile is running is recorded
as skipped; killing serve for three slots and starting it again gives exactly one catch-up run; two
serve processes on one PostgreSQL run each slot once; SIGTERM interrupts a run, and the next start
picks the schedule up again.

Intervals are seconds long here so the tests do not wait for minutes; test_scheduler.py runs
`interval: 1m` and minute crons on a clock the test advances. Nothing here asserts a duration: the
checks are on which slots were claimed, by whom, and what runs they became.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from idsync.service.schedule import Schedule
from idsync.store import RunStatus, RunSummary, Store
from idsync.store import schedule as slots
from idsync.store.schedule import SlotRecord
from tests.fixtures.postgres import PostgresCluster
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.scheduler.serving import eventually, serving
from tests.server.scheduler.support import config_env, config_text, jira_users, write_config

SETTLED = {RunStatus.SUCCEEDED.value, RunStatus.NO_CHANGES.value}
PERIOD = timedelta(seconds=2)


def _runs(store: Store, profile: str) -> dict[str, RunSummary]:
    return {run.id: run for run in store.runs(profile, limit=200)}


def _settled_slots(store: Store, profile: str) -> list[SlotRecord]:
    """The profile's claimed slots whose runs have ended, oldest first."""
    runs = _runs(store, profile)
    return [
        s for s in reversed(slots.list_slots(store.engine, profile))
        if s.run_id in runs and runs[s.run_id].finished_at is not None
    ]  # fmt: skip


def _two_after(store: Store, slot_at: datetime) -> list[SlotRecord] | None:
    """The first two settled slots after `slot_at`, once there are two."""
    later = [s for s in _settled_slots(store, "every") if s.slot_at > slot_at]
    return later[:2] if len(later) >= 2 else None


def _check_on_schedule(store: Store, schedule: Schedule) -> list[SlotRecord]:
    """Every claimed slot is a slot of the schedule, claimed no earlier than its run time, and became
    exactly one run with trigger "schedule" that started after the claim."""
    claimed = list(reversed(slots.list_slots(store.engine, schedule.profile)))
    runs = _runs(store, schedule.profile)
    for slot in claimed:
        assert schedule.latest_due(slot.slot_at) == slot.slot_at, slot
        assert slot.claimed_at >= schedule.run_at(slot.slot_at), slot
        assert slot.run_id in runs, slot
        run = runs[slot.run_id]
        assert run.trigger == "schedule" and run.started_at >= slot.claimed_at - timedelta(milliseconds=1)
    assert len({s.run_id for s in claimed}) == len(claimed) == len(runs)
    return claimed


def test_interval_and_cron_profiles_run_on_time_under_serve(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta = okta_sandbox(users=5, groups=2)
    every, cron = jira_sandbox(), jira_sandbox()
    profiles = {"every": (every, "interval: 2s"), "crontab": (cron, 'cron: "* * * * * */3"')}
    database = f"sqlite:///{tmp_path / 'idsync.db'}"
    path = write_config(tmp_path, config_text(database, okta, profiles))
    env, log = config_env(okta, profiles), tmp_path / "serve.log"
    with Store.open(database) as store, serving(path, env, log) as srv:
        for name in profiles:
            eventually(lambda name=name: len(_settled_slots(store, name)) >= 2, f"{name} did not run twice")
        assert srv.terminate() == 0, srv.log.read_text()
        claimed_every = _check_on_schedule(store, Schedule("every", period=timedelta(seconds=2)))
        claimed_cron = _check_on_schedule(store, Schedule("crontab", cron="* * * * * */3"))
        assert all(s.slot_at.second % 3 == 0 for s in claimed_cron)
        assert all(int(s.slot_at.timestamp()) % 2 == 0 for s in claimed_every)
        first = store.run(claimed_every[0].run_id or "")
        assert first.summary.status == "succeeded" and first.summary.counts_by_action.get("create_user")
    assert len(jira_users(every)) > 1 and jira_users(every) == jira_users(cron)
    assert okta.token not in srv.log.read_text() and every.token not in srv.log.read_text()


def test_a_slot_that_finds_the_profile_running_is_recorded_as_skipped(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta = okta_sandbox(users=5, groups=2)
    profiles = {"every": (jira_sandbox(), "interval: 2s")}
    database = f"sqlite:///{tmp_path / 'idsync.db'}"
    path = write_config(tmp_path, config_text(database, okta, profiles))
    env, log = config_env(okta, profiles), tmp_path / "serve.log"
    with Store.open(database) as store, serving(path, env, log) as srv:
        with store.profile_lock("every", "a long idsync sync"):
            skipped = eventually(
                lambda: [r for r in store.runs("every") if r.status == "skipped"], "no slot was skipped"
            )
        eventually(lambda: [r for r in store.runs("every") if r.status in SETTLED], "no run after the lock")
        assert srv.terminate() == 0
        assert skipped[0].trigger == "schedule" and "a long idsync sync" in (skipped[0].error or "")
        _check_on_schedule(store, Schedule("every", period=timedelta(seconds=2)))


def test_killing_serve_for_three_slots_gives_exactly_one_catch_up_run(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta = okta_sandbox(users=5, groups=2)
    profiles = {"every": (jira_sandbox(), "interval: 2s")}
    schedule = Schedule("every", period=PERIOD)
    database = f"sqlite:///{tmp_path / 'idsync.db'}"
    path = write_config(tmp_path, config_text(database, okta, profiles))
    env, log = config_env(okta, profiles), tmp_path / "serve.log"
    with Store.open(database) as store:
        with serving(path, env, log) as srv:
            eventually(lambda: _settled_slots(store, "every"), "the first slot did not run")
            srv.kill()
        before = slots.list_slots(store.engine, "every")[0].slot_at
        # stay down until three more slots have come due and gone
        down_until = schedule.run_at(before + 4 * PERIOD)
        time.sleep(max(0.0, (down_until - datetime.now(UTC)).total_seconds()))
        with serving(path, env, log) as srv:
            after = eventually(lambda: _two_after(store, before), "no two slots ran after the restart")
            assert srv.terminate() == 0
        catch_up, following = after
        missed = (catch_up.slot_at - before) // PERIOD - 1
        assert missed >= 3, (before, catch_up)
        claimed = [s.slot_at for s in reversed(slots.list_slots(store.engine, "every"))]
        # nothing between the last slot before the kill and the catch-up: the missed slots became one run
        assert claimed[claimed.index(before) + 1] == catch_up.slot_at
        assert following.slot_at > catch_up.slot_at
        _check_on_schedule(store, schedule)
        assert len(store.runs("every", limit=200)) == len(claimed)


@pytest.mark.postgres
def test_two_serve_processes_on_one_postgresql_run_each_slot_once(
    tmp_path: Path, postgres_cluster: PostgresCluster,
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:  # fmt: skip
    okta = okta_sandbox(users=5, groups=2)
    profiles = {"every": (jira_sandbox(), "interval: 2s")}
    database = postgres_cluster.create_database(f"replicas_{int(time.time() * 1000) % 10**9}")
    path, env = write_config(tmp_path, config_text(database, okta, profiles)), config_env(okta, profiles)
    with (
        Store.open(database) as store,
        serving(path, env, tmp_path / "a.log") as a,
        serving(path, env, tmp_path / "b.log") as b,
    ):
        eventually(lambda: len(_settled_slots(store, "every")) >= 5, "five slots did not run")
        assert a.terminate() == 0 and b.terminate() == 0
        claimed = _check_on_schedule(store, Schedule("every", period=timedelta(seconds=2)))
        runs = _runs(store, "every")
        # one run per slot, whichever replica claimed it; a run never overlaps another of the profile
        assert len(runs) == len(claimed) >= 5
        assert {runs[s.run_id or ""].status for s in claimed} <= SETTLED | {"skipped"}
        replicas = {s.claimed_by for s in claimed}
        assert 1 <= len(replicas) <= 2 and all(":" in r for r in replicas)


def test_sigterm_interrupts_the_run_and_the_next_start_picks_the_schedule_up(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta = okta_sandbox(users=40, groups=2)
    jira = jira_sandbox(latency_ms=500)
    profiles = {"every": (jira, "interval: 3s")}
    database = f"sqlite:///{tmp_path / 'idsync.db'}"
    path = write_config(tmp_path, config_text(database, okta, profiles, grace=0))
    env, log = config_env(okta, profiles), tmp_path / "serve.log"
    with Store.open(database) as store:
        with serving(path, env, log) as srv:
            eventually(lambda: [r for r in store.runs("every") if r.status == "running"], "no run started")
            assert srv.terminate() == 0, log.read_text()
        (stopped,) = store.runs("every")
        # the items in flight finished and were recorded; the rest were not started
        assert stopped.status in ("partial", "failed") and stopped.trigger == "schedule"
        assert (stopped.error or "").startswith("interrupted: idsync")
        assert [s.run_id for s in slots.list_slots(store.engine, "every")] == [stopped.id]
        jira.sandbox.control.faults.update({"latency_ms": 0})
        with serving(path, env, log) as srv:
            again = eventually(
                lambda: [r for r in store.runs("every") if r.status in SETTLED], "the schedule did not resume"
            )
            assert srv.terminate() == 0
        assert again[0].trigger == "schedule" and again[0].started_at > stopped.started_at
