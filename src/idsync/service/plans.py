"""Plans as data: compute one (and store it under an id), show a stored one, apply exactly one.

Applying re-reads each target and refuses with PlanStale when the target changed since the plan was
made ("target 'jira' changed since the plan was made at ..."); a stored plan is applied at most once
(Conflict names the run that applied it). The guards judge the plan again at apply time, so a plan
over a limit is refused (status refused) unless `allow_over_limit` is given.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict

from idsync.domain.plan import Plan
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.engine.run import RunRequest
from idsync.service.context import Context
from idsync.service.errors import Conflict, NotFound
from idsync.service.results import PlanResult, RunResult
from idsync.service.runs import Trigger
from idsync.store import plans as stored
from idsync.store.plans import PlanNotFound
from idsync.store.records import RunStatus


async def make_plan(
    ctx: Context,
    profile: str | None,
    *,
    allow_over_limit: bool = False,
    keep: bool = False,
    full_read: bool = False,
    trigger: str = Trigger.CLI,
    progress: Progress = NO_PROGRESS,
) -> PlanResult:
    """Compute what a sync would change, writing nothing to any target; with `keep`, store the plan
    and return its id (for `apply_stored`)."""
    name, _ = ctx.profile(profile)
    request = RunRequest(name, str(trigger), allow_over_limit=allow_over_limit, full_read=full_read)
    report = await ctx.call(lambda: ctx.engine(progress).plan(request))
    plan_id = None
    if keep and report.plan is not None:
        plan_id = await asyncio.to_thread(stored.save, ctx.store.engine, report.plan)
        _PARSED.remember(plan_id, report.plan)
    return PlanResult(report, plan_id)


def show_plan(ctx: Context, plan_id: str) -> PlanResult:
    """A stored plan with the guards' verdict on it as it stands (a blocking call: run it in a thread
    from async code)."""
    from idsync.engine.guards import check
    from idsync.engine.run import RunReport

    record = _load(ctx, plan_id)
    _, profile = ctx.profile(record.profile)
    previous = ctx.store.last_source_users(record.profile) if not record.plan.single_user else None
    guard = check(record.plan, profile.safety, allow_over_limit=False, previous_source_users=previous)
    status = RunStatus.REFUSED if guard.refused else RunStatus.PLANNED
    return PlanResult(RunReport(status, record.plan, guard), record.id, record.applied_run_id)


async def apply_stored(
    ctx: Context,
    plan_id: str,
    *,
    allow_over_limit: bool = False,
    trigger: str = Trigger.API,
    progress: Progress = NO_PROGRESS,
) -> RunResult:
    """Apply exactly the stored plan `plan_id`. Raises NotFound, Conflict (applied already) or
    PlanStale (a target changed since)."""
    record = await asyncio.to_thread(_load, ctx, plan_id)
    if record.applied_run_id is not None:
        raise Conflict(
            "plan_id",
            f"plan {plan_id!r} was applied already by run {record.applied_run_id!r}; make a new plan",
        )
    result = await apply_plan(
        ctx, record.plan, allow_over_limit=allow_over_limit, trigger=trigger, progress=progress
    )
    if result.run_id is not None and result.status is not RunStatus.REFUSED:
        await asyncio.to_thread(stored.mark_applied, ctx.store.engine, plan_id, result.run_id)
    return result


async def apply_plan(
    ctx: Context,
    plan: Plan,
    *,
    allow_over_limit: bool = False,
    trigger: str = Trigger.APPLY,
    progress: Progress = NO_PROGRESS,
) -> RunResult:
    """Apply exactly `plan` (a saved file's, or a stored one); raises PlanStale when a target changed."""
    ctx.profile(plan.profile, field="plan.profile")
    report = await ctx.call(
        lambda: ctx.engine(progress).apply_saved(plan, allow_over_limit=allow_over_limit, trigger=trigger)
    )
    return RunResult(report)


PARSED_PLANS = 8
"""Stored plans kept parsed in memory (see `_ParsedPlans`)."""


class _ParsedPlans:
    """The last few stored plans parsed, by id. A stored plan's body never changes, so a reviewer who
    opens a 20,000-item plan again (or applies it) does not wait for its JSON to be parsed again (about
    half a second at that size); whether it was applied is always read from the store."""

    def __init__(self, size: int = PARSED_PLANS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._plans: OrderedDict[str, Plan] = OrderedDict()

    def remember(self, plan_id: str, plan: Plan) -> None:
        with self._lock:
            self._plans[plan_id] = plan
            self._plans.move_to_end(plan_id)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)

    def get(self, plan_id: str) -> Plan | None:
        with self._lock:
            found = self._plans.get(plan_id)
            if found is not None:
                self._plans.move_to_end(plan_id)
            return found


_PARSED = _ParsedPlans()


def _load(ctx: Context, plan_id: str) -> stored.StoredPlanRecord:
    try:
        plan = _PARSED.get(plan_id)
        if plan is not None:
            profile, created_at, applied_run_id = stored.header(ctx.store.engine, plan_id)
            return stored.StoredPlanRecord(plan_id, profile, created_at, plan, applied_run_id)
        record = stored.load(ctx.store.engine, plan_id)
    except PlanNotFound as exc:
        raise NotFound("plan_id", str(exc)) from None
    _PARSED.remember(plan_id, record.plan)
    return record
