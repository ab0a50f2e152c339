"""The scheduler of `idsync serve`: runs every profile's `schedule:` on the server's event loop.

One asyncio task per scheduled profile, started and stopped with the server (`lifespan`):

    sleep until the due slot's run time → claim the slot in the store → run the profile (trigger
    "schedule") → record which run the slot became → again

- Replicas: every replica computes the same slots and run times (`idsync.service.schedule`) and tries
  to claim each slot; the store lets exactly one succeed, and only that replica runs it.
- One run per profile at a time: a scheduled run takes the profile lock like every run; a slot whose
  run finds it held (a CLI sync, a SCIM push, another replica still on an earlier slot) is recorded in
  history as a skipped run with trigger "schedule".
- Catch-up: slots missed while idsync was down, or while the profile's previous run was still going,
  coalesce into one run: only the latest due slot is claimed, and only when it is newer than the
  profile's last claimed slot. A profile that was never claimed starts with its next slot.
- Stopping (`stop`, from the lifespan on SIGTERM): no slot is claimed any more; a run in progress
  starts no further item, and the items in flight finish and are recorded (the engine records the
  run as interrupted); one still going after `stop_grace` seconds is cancelled and recorded as
  interrupted here. The next start picks
  the schedule up again, with at most one catch-up run.

Every store call goes through `asyncio.to_thread`: the same loop serves SCIM and API requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog

from idsync import metrics
from idsync.domain.errors import RunInProgress
from idsync.engine.run import RunRequest
from idsync.service import runs
from idsync.service.context import Context
from idsync.service.isolated import ProcessRunner
from idsync.service.results import RunResult
from idsync.service.schedule import Schedule, schedules
from idsync.store import schedule as slots
from idsync.store.records import RunStatus

log = structlog.get_logger(__name__)

TRIGGER = runs.Trigger.SCHEDULE
"""The trigger history records for scheduled runs and for the slots they skipped."""
DEFAULT_STOP_GRACE = 10.0
"""Seconds a run in progress may take to end once the server is told to stop (`server.stop_grace_seconds`)."""
RETRY_AFTER = timedelta(seconds=10)
"""How long a profile's loop waits after an unexpected error (e.g. the database is unreachable)."""
_MISSED_COUNT_LIMIT = 1000


class Clock(Protocol):
    """The scheduler's time: now, and sleeping until a moment (tests give a clock they advance)."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    async def sleep_until(self, when: datetime, stop: asyncio.Event) -> None:
        """Return at `when`, or earlier once `stop` is set."""
        ...


class WallClock:
    """The real clock. Sleeps in naps of at most `max_nap` seconds and re-reads the time after each,
    so a suspended host or a clock step delays a run by at most one nap."""

    def __init__(self, max_nap: float = 30.0) -> None:
        self.max_nap = max_nap

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, stop: asyncio.Event) -> None:
        """Sleep until `when` (UTC wall time) or until `stop` is set."""
        while not stop.is_set():
            left = (when - self.now()).total_seconds()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(left, self.max_nap))


@dataclass(frozen=True, slots=True)
class SlotOutcome:
    """What became of one slot this replica claimed (for tests, logs and metrics)."""

    profile: str
    slot_at: datetime
    missed: int
    """Earlier due slots this run stands in for (a catch-up run), 0 for a run on time."""
    status: RunStatus | None
    """How the run ended (SKIPPED when the profile was running); None when it raised."""
    run_id: str | None
    error: str | None = None


def replica_name() -> str:
    """This process as `claimed_by` names it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Runs the scheduled profiles of one config over one store, on the running event loop."""

    def __init__(
        self,
        ctx: Context,
        *,
        clock: Clock | None = None,
        holder: str | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
        on_done: Callable[[SlotOutcome], None] | None = None,
        processes: ProcessRunner | None = None,
    ) -> None:
        if stop_grace < 0:
            raise ValueError(f"stop_grace must be >= 0 seconds, got {stop_grace}")
        self.ctx = ctx
        self.schedules = schedules(ctx.config)
        self.clock: Clock = clock or WallClock()
        self.holder = holder or replica_name()
        self.stop_grace = stop_grace
        self.on_done = on_done
        self.processes = processes
        """Under `idsync serve`: runs go to worker processes, so a large one neither slows the
        server's requests nor is slowed by them (see idsync.service.isolated)."""
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running: dict[str, datetime] = {}
        """Profile → the slot whose run is going now."""
        self._next: dict[str, datetime] = {}

    def start(self) -> None:
        """Start one task per scheduled profile on the running loop."""
        if self._tasks:
            raise RuntimeError("the scheduler is already started")
        for name, schedule in self.schedules.items():
            self._tasks[name] = asyncio.get_running_loop().create_task(
                self._loop(schedule), name=f"schedule-{name}"
            )
        log.info("scheduler started", profiles={n: s.describe() for n, s in self.schedules.items()},
                 replica=self.holder)  # fmt: skip

    def next_runs(self) -> dict[str, datetime]:
        """When each profile's next run is due as this scheduler sees it (a run going is not listed)."""
        return {name: when for name, when in self._next.items() if name not in self._running}

    def running(self) -> dict[str, datetime]:
        """Profile → the slot whose run this replica is running now."""
        return dict(self._running)

    async def stop(self) -> None:
        """Claim nothing more; give runs in progress `stop_grace` seconds, then cancel them and record
        them as interrupted."""
        self._stop.set()
        if self.processes is not None:
            self.processes.stop()
        tasks = list(self._tasks.values())
        if not tasks:
            await self._close_processes()
            return
        _done, pending = await asyncio.wait(tasks, timeout=self.stop_grace)
        interrupted = dict(self._running)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for name, slot in interrupted.items():
            await asyncio.to_thread(self._record_interrupted, name, slot)
        await self._close_processes()
        log.info("scheduler stopped", interrupted=sorted(interrupted))

    async def _close_processes(self) -> None:
        if self.processes is not None:
            await asyncio.to_thread(self.processes.close)

    # --- one profile ------------------------------------------------------------------------------

    async def _loop(self, schedule: Schedule) -> None:
        # What counts as handled when the profile was never claimed: the slots before this start.
        floor = schedule.latest_due(self.clock.now())
        while not self._stop.is_set():
            try:
                await self._step(schedule, floor)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schedule step failed; retrying", profile=schedule.profile,
                              retry_in_s=RETRY_AFTER.total_seconds())  # fmt: skip
                await self.clock.sleep_until(self.clock.now() + RETRY_AFTER, self._stop)

    async def _step(self, schedule: Schedule, floor: datetime) -> None:
        """Run the latest due slot if it is new and its time has come; else sleep until a run time."""
        name = schedule.profile
        now = self.clock.now()
        last = await asyncio.to_thread(slots.last_claimed, self.ctx.store.engine, name)
        handled = last if last is not None else floor
        latest = schedule.latest_due(now)
        if latest > handled:
            start = schedule.run_at(latest)
            if start <= now:
                await self._claim_and_run(schedule, latest, handled)
                return
        else:
            start = schedule.run_at(schedule.next_slot(now))
        self._announce(name, start)
        await self.clock.sleep_until(start, self._stop)

    def _announce(self, name: str, when: datetime) -> None:
        self._next[name] = when
        metrics.set_next_run(name, when)  # the idsync_next_run_timestamp_seconds gauge of /metrics

    async def _claim_and_run(self, schedule: Schedule, slot: datetime, handled: datetime) -> None:
        name = schedule.profile
        engine = self.ctx.store.engine
        if self._stop.is_set():
            return
        if not await asyncio.to_thread(slots.claim_slot, engine, name, slot, self.holder):
            log.debug("slot claimed by another replica", profile=name, slot=slot.isoformat())
            return
        missed = _missed(schedule, handled, slot)
        if missed:
            log.info("catch-up run for missed slots", profile=name, slot=slot.isoformat(), missed=missed)
        self._running[name] = slot
        try:
            outcome = await self._run(name, slot, missed)
        finally:
            self._running.pop(name, None)
        await asyncio.to_thread(slots.set_slot_run, engine, name, slot, outcome.run_id)
        log.info("scheduled run ended", profile=name, slot=slot.isoformat(), run_id=outcome.run_id,
                 status=str(outcome.status), missed=missed, error=outcome.error)  # fmt: skip
        if self.on_done is not None:
            self.on_done(outcome)

    async def _run(self, name: str, slot: datetime, missed: int) -> SlotOutcome:
        try:
            if self.processes is not None:
                self.ctx.profile(name)
                result = RunResult(await self.processes.run(RunRequest(name, TRIGGER)))
            else:
                result = await run_profile(self.ctx, name, self._stop)
        except RunInProgress as exc:
            run_id = await asyncio.to_thread(
                slots.record_skipped, self.ctx.store.engine, name, TRIGGER, str(exc)
            )
            return SlotOutcome(name, slot, missed, RunStatus.SKIPPED, run_id, str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("scheduled run raised", profile=name, slot=slot.isoformat())
            return SlotOutcome(name, slot, missed, None, None, f"{type(exc).__name__}: {exc}")
        return SlotOutcome(name, slot, missed, result.status, result.run_id, result.report.error)

    def _record_interrupted(self, name: str, slot: datetime) -> None:
        """Mark the cancelled run of `slot` as interrupted, under the profile lock (blocking)."""
        reason = (
            "interrupted: idsync serve was stopped while this scheduled run was going; what it applied "
            "before stays applied, and the next run converges the rest"
        )
        try:
            with self.ctx.store.profile_lock(name, self.holder):
                ids = slots.mark_stopped(self.ctx.store.engine, name, reason)
        except RunInProgress:
            # The run still holds the lock: it goes on in its own thread, starts no further item and
            # records itself as interrupted. The slot still names it.
            latest = self.ctx.store.runs(name, 1)
            if latest and latest[0].trigger == TRIGGER:
                slots.set_slot_run(self.ctx.store.engine, name, slot, latest[0].id)
            return
        if ids:
            slots.set_slot_run(self.ctx.store.engine, name, slot, ids[-1])


async def run_profile(ctx: Context, name: str, stop: asyncio.Event | None = None) -> RunResult:
    """The one place the scheduler starts a run: the service's sync with trigger "schedule". When the
    scheduler stops, the run starts no further item, lets those in flight finish and is recorded as
    interrupted by the engine itself."""
    return await runs.sync(ctx, name, trigger=TRIGGER, stop=stop)


def _missed(schedule: Schedule, handled: datetime, slot: datetime) -> int:
    """How many slots lie strictly between the last handled slot and `slot` (counted up to a limit)."""
    if schedule.period is not None:
        return max(0, (slot - handled) // schedule.period - 1)
    count, current = 0, schedule.next_slot(handled)
    while current < slot and count < _MISSED_COUNT_LIMIT:
        count += 1
        current = schedule.next_slot(current)
    return count


def lifespan(
    ctx: Context, *, isolate: bool = False, **options: Any
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A Starlette lifespan that runs a `Scheduler(ctx, **options)` for as long as the app serves;
    with `isolate`, scheduled runs go to worker processes (`idsync serve`)."""

    @asynccontextmanager
    async def scheduled(_app: Any) -> AsyncIterator[None]:
        if isolate and schedules(ctx.config):
            processes = ProcessRunner(ctx.config)
            await asyncio.to_thread(processes.wait_ready)
            options["processes"] = processes
        scheduler = Scheduler(ctx, **options)
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()

    return scheduled
