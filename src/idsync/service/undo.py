"""Undo a run (`idsync undo RUN_ID`, `POST /api/v1/runs/{id}/undo`): the inverse of what it recorded,
shown and guarded like any plan, applied through the engine's saved-plan path.

`prepare_undo` reads the run from history, reads back from each of its targets exactly the objects
its applied items touched (through the same connectors a run uses, so a refusal comes from the real
target), and builds the inverse plan (`idsync.engine.undo`): items whose target changed since the run
are refused and named. `apply_undo` hands that plan to `Engine.apply_saved`, which takes the profile
lock, re-reads the same objects and refuses with PlanStale when anything changed between the preview
and the apply, judges the guards again, applies, updates the links as any run does (a created user
the undo deactivates stays linked, inactive) and records the undo as a run with trigger "undo" that
names the run it reverses. Undoing that run again is just another undo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from idsync.config.model import IdsyncConfig
from idsync.connectors import build_target
from idsync.domain.errors import PlanStale
from idsync.domain.plan import Action, Outcome, Plan, PlanItem
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import Reason, StateQuery, TargetState
from idsync.engine.customers import with_customer_limits
from idsync.engine.guards import GuardReport, check
from idsync.engine.links import state_fingerprint
from idsync.engine.run import Confirm, RunReport
from idsync.engine.undo import DoneItem, Refusal, invert, undo_queries
from idsync.service.context import Context
from idsync.service.errors import Conflict
from idsync.service.history import run_detail
from idsync.service.results import RunResult
from idsync.service.runs import Trigger
from idsync.store.records import RunDetail, RunItemRecord, RunStatus, RunSummary
from idsync.targets.base import Target

REFUSED_NOTE = "not undone: "
"""How a refusal reads in the undo plan's notes (and so in the undo run's history)."""


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """The inverse of one run as it stands now: the plan, the guards' verdict on it, the refusals."""

    run: RunSummary
    """The run to undo."""
    report: RunReport
    """Status PLANNED (something to apply), NO_CHANGES (nothing) or REFUSED (by a guard)."""
    refusals: tuple[Refusal, ...]

    @property
    def plan(self) -> Plan:
        """The inverse plan."""
        assert self.report.plan is not None
        return self.report.plan

    @property
    def guard(self) -> GuardReport:
        """The guards' verdict on the inverse plan."""
        assert self.report.guard is not None
        return self.report.guard

    @property
    def exit_code(self) -> int:
        """3 when a guard refuses it, else 1 when an item is refused (not everything can be undone),
        else 0."""
        if self.report.status is RunStatus.REFUSED:
            return 3
        return 1 if self.refusals else 0


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What an undo did: its plan, and the run that applied it (None for a dry run, a declined
    confirmation, or nothing to apply)."""

    prepared: UndoPlan
    applied: RunResult | None = None

    @property
    def exit_code(self) -> int:
        """0 undone in full; 1 an item refused or failed; 3 refused by a guard."""
        if self.applied is None:
            return self.prepared.exit_code
        code = self.applied.exit_code
        return 1 if code == 0 and self.prepared.refusals else code

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `idsync undo --json` and of the API's answer: the run's JSON (or the plan's,
        when nothing was applied), the undone run and each refusal."""
        body = (self.applied or RunResult(self.prepared.report)).to_dict()
        return {
            **body,
            "exit_code": self.exit_code,
            "undo_of": self.prepared.run.id,
            "applied": self.applied is not None,
            "refusals": [refusal.to_dict() for refusal in self.prepared.refusals],
        }


async def prepare_undo(
    ctx: Context, run_id: str, *, allow_over_limit: bool = False, progress: Progress = NO_PROGRESS
) -> UndoPlan:
    """The inverse plan of run `run_id` against the targets as they are now, with the guards'
    verdict. Raises NotFound for an unknown run, Conflict for a run still going, UnknownName when
    its profile is no longer configured; writes nothing."""
    detail = await asyncio.to_thread(run_detail, ctx.store, run_id)
    summary = detail.summary
    if summary.status == RunStatus.RUNNING:
        raise Conflict("run_id", f"run {run_id!r} is still running; undo it once it has finished (a run "
                       "whose process was killed stays 'running' until the profile's next run marks it "
                       "interrupted)")
    name, profile = ctx.profile(summary.profile, field="run.profile")
    done = [_done(record) for record in detail.items]
    queries = undo_queries(done)
    states, exact = await ctx.call(lambda: _read(ctx.config, queries, progress))
    inverse = invert(run_id, done, states, case_sensitive=exact)
    managed = {
        target: sum(1 for link in (await asyncio.to_thread(ctx.store.links, name, target)).values()
                    if link.active)
        for target in queries
    }
    plan = Plan(
        profile=name,
        created_at=datetime.now(UTC),
        items=inverse.items,
        # an undo reads no source: the header shows the read of the run it reverses
        source=summary.source or "(none)",
        source_users=summary.source_users or 0,
        source_groups=summary.source_groups or 0,
        scope=f"undo of run {run_id}",
        target_fingerprints={target: state_fingerprint(state) for target, state in states.items()},
        queries=queries,
        managed_users=managed,
        notes=(_about(detail), *inverse.notes, *(f"{REFUSED_NOTE}{refusal}" for refusal in inverse.refusals)),
    )
    guard = with_customer_limits(
        check(plan, profile.safety, allow_over_limit=allow_over_limit, previous_source_users=None),
        plan, profile.safety,
    )  # fmt: skip
    status = RunStatus.REFUSED if guard.refused else RunStatus.NO_CHANGES if plan.empty else RunStatus.PLANNED
    return UndoPlan(summary, RunReport(status, plan, guard), inverse.refusals)


async def apply_undo(
    ctx: Context, prepared: UndoPlan, *, allow_over_limit: bool = False, progress: Progress = NO_PROGRESS
) -> UndoResult:
    """Apply exactly the prepared inverse plan as a run with trigger "undo". Nothing to apply: no
    run. Raises PlanStale when a target changed since `prepare_undo` read it."""
    if prepared.plan.empty:
        return UndoResult(prepared)
    undone = prepared.run.id
    try:
        report = await ctx.call(lambda: ctx.engine(progress).apply_saved(
            prepared.plan, allow_over_limit=allow_over_limit, trigger=Trigger.UNDO, undo_of=undone,
        ))  # fmt: skip
    except PlanStale:
        raise PlanStale(
            f"the target changed while the undo of run {undone} waited to be applied; nothing was "
            f"applied: run `idsync undo {undone}` again to see the undo as it stands now"
        ) from None
    return UndoResult(prepared, RunResult(report))


async def undo(
    ctx: Context,
    run_id: str,
    *,
    dry_run: bool = False,
    allow_over_limit: bool = False,
    progress: Progress = NO_PROGRESS,
    confirm: Confirm | None = None,
) -> UndoResult:
    """Prepare the undo of `run_id` and (unless `dry_run`, or `confirm` declines it) apply it."""
    prepared = await prepare_undo(ctx, run_id, allow_over_limit=allow_over_limit, progress=progress)
    if dry_run or (confirm is not None and not prepared.plan.empty
                   and not confirm(prepared.plan, prepared.guard)):  # fmt: skip
        return UndoResult(prepared)
    return await apply_undo(ctx, prepared, allow_over_limit=allow_over_limit, progress=progress)


def _done(record: RunItemRecord) -> DoneItem:
    """A recorded item as the inversion takes it."""
    item = PlanItem(
        action=Action(record.action),
        target=record.target,
        reason=Reason(record.reason_rule, record.reason_detail),
        user=record.user,
        user_key=record.user_key,
        source_id=record.source_id,
        group=record.group,
        changes=record.changes,
        lead=record.lead,
        new_lead=record.new_lead,
    )
    return DoneItem(record.index, item, record.outcome == Outcome.APPLIED, record.target_key)


def _about(detail: RunDetail) -> str:
    """The first note of an undo plan: which run it reverses."""
    run = detail.summary
    applied = run.counts_by_outcome.get(Outcome.APPLIED.value, 0)
    return (f"undo of run {run.id} (trigger {run.trigger}, started {run.started_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{run.status}, {applied} of {run.item_count} items applied)")


async def _read(
    config: IdsyncConfig, queries: Mapping[str, StateQuery], progress: Progress
) -> tuple[dict[str, TargetState], dict[str, bool]]:
    """Each target's state for its query (complete, or a ConnectorError), and whether its names
    compare exactly; every connector opened here is closed here."""
    targets: dict[str, Target] = {}
    try:
        for name in queries:
            targets[name] = build_target(config, name)
        states = await asyncio.gather(*(targets[n].read_state(q, progress) for n, q in queries.items()))
    finally:
        for target in targets.values():
            await target.aclose()
    exact = {name: target.capabilities.case_sensitive_names for name, target in targets.items()}
    return dict(zip(queries, states, strict=True)), exact
