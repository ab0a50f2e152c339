"""The scheduler on a clock the test advances, against the Okta and Jira emulators and a real store
(SQLite and PostgreSQL): runs on time, skips a slot whose profile is running, coalesces missed slots
into one catch-up run, lets two replicas run each slot once, and records a stopped run as interrupted.

The same behaviours under `idsync serve` in its own process, on the wall clock, are in
test_serve_schedule.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from idsync.config.loader import parse_config
from idsync.server.scheduler import TRIGGER, Scheduler, SlotOutcome
from idsync.service.context import Context
from idsync.service.schedule import Schedule
from idsync.store import RunStatus, Store
from idsync.store import schedule as slots
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.scheduler.support import ManualClock, at, config_env, config_text, jira_users

MINUTE = timedelta(minutes=1)


@pytest.fixture
def okta(okta_sandbox: Callable[..., RunningOkta]) -> RunningOkta:
    return okta_sandbox(users=6, groups=2)


@pytest.fixture
def open_stores(store_url: str) -> Iterator[Callable[[], Store]]:
    """Opens stores on the test's database (one per replica); all are closed at teardown."""
    opened: list[Store] = []

    def open_one() -> Store:
        opened.append(Store.open(store_url))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


def _context(store: Store, okta: RunningOkta, profiles: dict[str, tuple[RunningJira, str]]) -> Context:
    text = config_text(store.engine.url.render_as_string(hide_password=False), okta, profiles, grace=0)
    return Context(parse_config(text, env=config_env(okta, profiles)), store)


@asynccontextmanager
async def running(
    ctx: Context, clock: ManualClock, holder: str, **options: Any
) -> AsyncIterator[tuple[Scheduler, list[SlotOutcome]]]:
    outcomes: list[SlotOutcome] = []
    scheduler = Scheduler(ctx, clock=clock, holder=holder, on_done=outcomes.append, **options)
    scheduler.start()
    try:
        yield scheduler, outcomes
    finally:
        await scheduler.stop()


async def test_interval_and_cron_profiles_run_on_their_slots(
    okta: RunningOkta, jira_sandbox: Callable[..., RunningJira], open_stores: Callable[[], Store]
) -> None:
    minutely, five = jira_sandbox(), jira_sandbox()
    store = open_stores()
    profiles = {"minutely": (minutely, "interval: 1m"), "five": (five, 'cron: "*/5 * * * *"')}
    ctx = _context(store, okta, profiles)
    every, cron = Schedule("minutely", period=MINUTE), Schedule("five", cron="*/5 * * * *")
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with running(ctx, clock, "replica-a") as (scheduler, outcomes):
        # nothing ran before: the first runs are the next slots, each at its own jittered time
        assert await clock.asleep(2) == sorted([every.run_at(at("2026-01-05 12:01")),
                                                cron.run_at(at("2026-01-05 12:05"))])  # fmt: skip
        assert scheduler.next_runs() == {"minutely": every.run_at(at("2026-01-05 12:01")),
                                         "five": cron.run_at(at("2026-01-05 12:05"))}  # fmt: skip
        end = max(every.run_at(at("2026-01-05 12:05")), cron.run_at(at("2026-01-05 12:05")))
        while clock.now() < end:
            await clock.step(2)
        await clock.asleep(2)
    assert [(o.slot_at, o.missed, o.status) for o in outcomes if o.profile == "minutely"] == [
        (at(f"2026-01-05 12:0{m}"), 0, RunStatus.SUCCEEDED if m == 1 else RunStatus.NO_CHANGES)
        for m in range(1, 6)
    ]
    assert [(o.slot_at, o.missed, o.status) for o in outcomes if o.profile == "five"] == [
        (at("2026-01-05 12:05"), 0, RunStatus.SUCCEEDED)
    ]
    history = store.runs(limit=50)
    assert {(r.profile, r.trigger) for r in history} == {("minutely", TRIGGER), ("five", TRIGGER)}
    claimed = {(s.profile, s.slot_at): s for s in slots.list_slots(store.engine)}
    assert set(claimed) == {(o.profile, o.slot_at) for o in outcomes}
    assert {s.run_id for s in claimed.values()} == {r.id for r in history}
    assert all(s.claimed_by == "replica-a" for s in claimed.values())
    # each profile created the Okta users in its own Jira
    assert len(jira_users(minutely)) > 1 and jira_users(minutely) == jira_users(five)


async def test_a_slot_whose_profile_is_running_is_recorded_as_skipped(
    okta: RunningOkta, jira_sandbox: Callable[..., RunningJira], open_stores: Callable[[], Store]
) -> None:
    store = open_stores()
    ctx = _context(store, okta, {"minutely": (jira_sandbox(), "interval: 1m")})
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with running(ctx, clock, "replica-a") as (_, outcomes):
        with store.profile_lock("minutely", "idsync sync in a terminal"):
            await clock.step(1)
            await clock.asleep(1)
        await clock.step(1)
        await clock.asleep(1)
    assert [(o.slot_at, o.status) for o in outcomes] == [
        (at("2026-01-05 12:01"), RunStatus.SKIPPED), (at("2026-01-05 12:02"), RunStatus.SUCCEEDED)
    ]  # fmt: skip
    skipped, ran = sorted(store.runs("minutely"), key=lambda r: r.started_at)
    assert (skipped.status, skipped.trigger, skipped.item_count) == ("skipped", "schedule", 0)
    assert skipped.error is not None and "idsync sync in a terminal" in skipped.error
    assert skipped.finished_at == skipped.started_at
    assert (ran.status, ran.trigger) == ("succeeded", "schedule")
    assert [s.run_id for s in slots.list_slots(store.engine, "minutely")] == [ran.id, skipped.id]


async def test_slots_missed_while_down_coalesce_into_one_catch_up_run(
    okta: RunningOkta, jira_sandbox: Callable[..., RunningJira], open_stores: Callable[[], Store]
) -> None:
    store = open_stores()
    ctx = _context(store, okta, {"minutely": (jira_sandbox(), "interval: 1m")})
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with running(ctx, clock, "replica-a") as (_, before):
        await clock.step(1)
        await clock.asleep(1)
    assert [o.slot_at for o in before] == [at("2026-01-05 12:01")]
    clock.advance_to(at("2026-01-05 12:04:30"))  # down for the slots of 12:02, 12:03 and 12:04
    async with running(ctx, clock, "replica-a") as (_, after):
        (wake,) = await clock.asleep(1)
        assert wake == Schedule("minutely", period=MINUTE).run_at(at("2026-01-05 12:05"))
    # one run for the three slots: 12:04 stands in for 12:02 and 12:03
    assert [(o.slot_at, o.missed, o.status) for o in after] == [
        (at("2026-01-05 12:04"), 2, RunStatus.NO_CHANGES)
    ]
    claimed = [s.slot_at for s in slots.list_slots(store.engine)]
    assert claimed == [at("2026-01-05 12:04"), at("2026-01-05 12:01")]
    assert len(store.runs("minutely")) == 2


async def test_two_replicas_on_one_database_run_each_slot_once(
    okta: RunningOkta, jira_sandbox: Callable[..., RunningJira], open_stores: Callable[[], Store]
) -> None:
    jira = jira_sandbox()
    first, second = open_stores(), open_stores()
    profiles = {"minutely": (jira, "interval: 1m")}
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with (
        running(_context(first, okta, profiles), clock, "replica-a") as (_, a),
        running(_context(second, okta, profiles), clock, "replica-b") as (_, b),
    ):
        for _ in range(5):
            await clock.step(2)
        await clock.asleep(2)
    ran = sorted(a + b, key=lambda o: o.slot_at)
    assert [o.slot_at for o in ran] == [at(f"2026-01-05 12:0{m}") for m in range(1, 6)]
    assert all(o.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES) for o in ran)
    history = first.runs("minutely", limit=50)
    assert len(history) == 5 and {r.id for r in history} == {o.run_id for o in ran}
    claimed = slots.list_slots(first.engine)
    assert len(claimed) == 5
    assert {s.claimed_by for s in claimed} <= {"replica-a", "replica-b"}


async def test_stopping_interrupts_the_run_and_the_next_start_picks_the_schedule_up(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
    open_stores: Callable[[], Store],
) -> None:  # fmt: skip
    okta = okta_sandbox(users=40, groups=2)
    jira = jira_sandbox(latency_ms=150)
    store = open_stores()
    ctx = _context(store, okta, {"minutely": (jira, "interval: 1m")})
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with running(ctx, clock, "replica-a", stop_grace=0) as (scheduler, outcomes):
        await clock.step(1)
        await _until(lambda: any(r.status == "running" for r in store.runs("minutely")))
        assert scheduler.running() == {"minutely": at("2026-01-05 12:01")}
        await scheduler.stop()
        assert scheduler.running() == {}
    assert outcomes == []
    (stopped,) = store.runs("minutely")
    assert stopped.status == "failed" and stopped.error is not None
    assert stopped.error.startswith("interrupted: idsync serve was stopped")
    assert [s.run_id for s in slots.list_slots(store.engine)] == [stopped.id]
    jira.sandbox.control.faults.update({"latency_ms": 0})
    async with running(ctx, clock, "replica-a") as (_, again):
        await clock.step(1)
        await clock.asleep(1)
    assert [(o.slot_at, o.missed, o.status) for o in again] == [
        (at("2026-01-05 12:02"), 0, RunStatus.SUCCEEDED)
    ]


async def _until(check: Callable[[], bool], hang_guard: float = 60.0) -> None:
    """Wait until `check()` (run in a thread) holds; `hang_guard` seconds only guard against a hang."""
    deadline = asyncio.get_running_loop().time() + hang_guard
    while not await asyncio.to_thread(check):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come true")
        await asyncio.sleep(0.05)


async def test_stopping_with_a_grace_lets_the_items_in_flight_finish(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
    open_stores: Callable[[], Store],
) -> None:  # fmt: skip
    okta = okta_sandbox(users=40, groups=2)
    jira = jira_sandbox(latency_ms=30)
    store = open_stores()
    ctx = _context(store, okta, {"minutely": (jira, "interval: 1m")})
    clock = ManualClock(at("2026-01-05 12:00:30"))
    async with running(ctx, clock, "replica-a", stop_grace=60) as (scheduler, _outcomes):
        await clock.step(1)
        await _until(lambda: len(jira.sandbox.state.users) > 3)
        await scheduler.stop()
    (stopped,) = store.runs("minutely")
    # the engine itself recorded the run: what was applied, and that the rest was not started
    assert stopped.status == "partial"
    assert (stopped.error or "").startswith("interrupted: idsync was stopping")
