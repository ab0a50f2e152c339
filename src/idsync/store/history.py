"""Run history (`idsync history`): a row per run with its plan header, counts and timings, and a row per item.

`finish_run` writes every item in one executemany insert within one transaction (20,000 items in
well under a second on SQLite); counts are computed once and kept on the run row so `idsync history`
never aggregates items.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from idsync.domain.plan import Change, ItemResult, Plan, PlanItem, by_position
from idsync.domain.records import LeadRole
from idsync.store.bulk import execute_many
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import RunItemRow, RunRow
from idsync.store.records import (
    COMPLETED,
    PLANNED,
    RunDetail,
    RunItemRecord,
    RunNotFound,
    RunStatus,
    RunSummary,
)

_ITEMS = cast(Table, RunItemRow.__table__)
_RUNS = cast(Table, RunRow.__table__)
_UPDATE_RUN = update(_RUNS).where(_RUNS.c.id == bindparam("b_run"))
"""The run row's update; its columns and values come as execution parameters, never `.values(...)`: the
compiled cache would keep the first run's notes and disputes for the life of the process
(docs/architecture.md)."""


_last_start = datetime.min.replace(tzinfo=UTC)
_last_start_lock = threading.Lock()


def _start_time() -> datetime:
    """Now to the millisecond, strictly later than any start this process handed out before, so
    two runs started in the same millisecond still sort in the order they began."""
    global _last_start
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    with _last_start_lock:
        if now <= _last_start:
            now = _last_start + timedelta(milliseconds=1)
        _last_start = now
    return now


def new_run_id(started: datetime) -> str:
    """A short id that sorts by start time (to the millisecond), e.g. `20250301-142501123-9f3a`; the
    random tail keeps ids of two processes starting in the same millisecond apart."""
    return f"{started:%Y%m%d-%H%M%S}{started.microsecond // 1000:03d}-{secrets.token_hex(2)}"


def start_run(
    engine: Engine, profile: str, trigger: str, *, dry_run: bool = False, undo_of: str | None = None
) -> str:
    """Record that a run began; returns its id. `undo_of`: the run an `idsync undo` run reverses."""
    now = _start_time()
    run_id = new_run_id(now)
    with write_transaction(engine) as connection:
        connection.execute(
            insert(RunRow).values(
                id=run_id,
                profile=profile,
                trigger=trigger,
                dry_run=dry_run,
                status=RunStatus.RUNNING.value,
                started_at=now,
                item_count=0,
                counts_by_action={},
                counts_by_outcome={},
                timings={},
                notes=[],
                disputes=[],
                managed_users={},
                undo_of=undo_of,
            )
        )
    return run_id


def finish_run(
    engine: Engine,
    run_id: str,
    *,
    status: str,
    plan: Plan | None,
    results: Sequence[ItemResult],
    timings: Mapping[str, float],
    error: str | None = None,
    recorded: Collection[int] | None = None,
) -> None:
    """Record how a run ended: status, plan header, every item with its outcome, counts, timings.
    `recorded`: the run's items were written by `begin_apply` and these indices' outcomes by
    `record_outcomes` as they happened; only the other results are written now."""
    final = RunStatus.finished(status)
    items = plan.items if plan is not None else ()
    try:
        by_index = by_position(len(items), results)
    except ValueError as exc:
        raise ValueError(f"run {run_id!r}: {exc}") from exc
    header: dict[str, Any] = {
        "status": final.value,
        "finished_at": datetime.now(UTC),
        "error": error,
        "item_count": len(items),
        "counts_by_action": dict(Counter(item.action.value for item in items)),
        "counts_by_outcome": dict(
            Counter(found.outcome.value if found is not None else PLANNED for found in by_index)
        ),
        "timings": {str(name): float(seconds) for name, seconds in timings.items()},
    }
    if plan is not None:
        header |= _plan_header(plan)
    with write_transaction(engine) as connection:
        current = connection.execute(select(RunRow.status).where(RunRow.id == run_id)).scalar_one_or_none()
        if current is None:
            raise RunNotFound(run_id)
        if current != RunStatus.RUNNING:
            raise ValueError(f"run {run_id!r} already finished with status {current!r}; it cannot end twice")
        connection.execute(_UPDATE_RUN, {"b_run": run_id, **header})
        if recorded is not None:
            _update_outcomes(connection, run_id, [r for r in results if r.index not in recorded])
            return
        # in slices: all rows of a 210,000-item run as one list of dicts held ~320 MB at once
        execute_many(connection, insert(_ITEMS), _ROW_BINDS, _item_rows(run_id, items, by_index),
                     slice_size=_ROWS_PER_INSERT)


def begin_apply(engine: Engine, run_id: str, plan: Plan) -> None:
    """Before the first write: record the plan's header and every item (outcome "planned"), so a run
    killed during apply leaves in history what it meant to do; `record_outcomes` then writes each
    outcome as it happens. The items are also the run's intents: after a crash, recovery
    (idsync.engine.recovery) reads the target for those with no outcome yet."""
    header = {**_plan_header(plan), "item_count": len(plan.items),
              "counts_by_action": dict(Counter(item.action.value for item in plan.items))}
    with write_transaction(engine) as connection:
        connection.execute(_UPDATE_RUN, {"b_run": run_id, **header})
        execute_many(connection, insert(_ITEMS), _ROW_BINDS, _item_rows(run_id, plan.items, None),
                     slice_size=_ROWS_PER_INSERT)


def record_outcomes(engine: Engine, run_id: str, results: Sequence[ItemResult]) -> None:
    """Write item outcomes of a run in progress (batched by the caller), in one transaction."""
    if results:
        with write_transaction(engine) as connection:
            _update_outcomes(connection, run_id, results)


def _update_outcomes(connection: Connection, run_id: str, results: Sequence[ItemResult]) -> None:
    if not results:
        return
    rows = ((run_id, r.index, r.outcome.value, r.error, r.target_key, r.attempts, r.duration_ms)
            for r in results)
    execute_many(connection, _UPDATE_OUTCOME, _OUTCOME_BINDS, rows, slice_size=_ROWS_PER_INSERT)


_ROWS_PER_INSERT = 2000
_UPDATE_OUTCOME = update(_ITEMS).where(
    _ITEMS.c.run_id == bindparam("b_run"), _ITEMS.c.idx == bindparam("b_idx")
).values(outcome=bindparam("b_outcome"), error=bindparam("b_error"), target_key=bindparam("b_key"),
         attempts=bindparam("b_attempts"), duration_ms=bindparam("b_ms"))
_OUTCOME_BINDS = tuple((bind, _ITEMS.c[column].type) for bind, column in (
    ("b_run", "run_id"), ("b_idx", "idx"), ("b_outcome", "outcome"), ("b_error", "error"),
    ("b_key", "target_key"), ("b_attempts", "attempts"), ("b_ms", "duration_ms"),
))  # fmt: skip
"""The parameters of `_UPDATE_OUTCOME`, in the order `_update_outcomes` gives their values."""


def _plan_header(plan: Plan) -> dict[str, Any]:
    """The run row's columns that come from its plan."""
    return {
        "source": plan.source,
        "scope": plan.scope,
        "source_users": plan.source_users,
        "source_groups": plan.source_groups,
        "plan_created_at": plan.created_at,
        "single_user": plan.single_user,
        "notes": list(plan.notes),
        "disputes": [
            {"username": d.username, "source_ids": list(d.source_ids), "detail": d.detail}
            for d in plan.disputes
        ],
        "managed_users": dict(plan.managed_users),
    }


_ROW_COLUMNS = (
    "run_id", "idx", "action", "target", "subject", "user", "user_key", "source_id", "group", "new_lead",
    "reason_rule", "reason_detail", "changes", "outcome", "error", "target_key", "attempts", "duration_ms",
    "lead", "fingerprint", "grants",
)  # fmt: skip
_ROW_BINDS = tuple((name, _ITEMS.c[name].type) for name in _ROW_COLUMNS)
"""Every column of run_items, in the order `_item_rows` gives a row's values."""


def _item_rows(
    run_id: str, items: Sequence[PlanItem], by_index: Sequence[ItemResult | None] | None
) -> Iterator[tuple[Any, ...]]:
    """The run_items rows of one run (values of `_ROW_COLUMNS`), made one at a time; `by_index[i]`:
    item i's result, if any (None: no item has one yet)."""
    for index, item in enumerate(items):
        found = by_index[index] if by_index is not None else None
        yield (
            run_id, index, item.action.value, item.target, item.subject, item.user, item.user_key,
            item.source_id, item.group, item.new_lead, item.reason.rule, item.reason.detail,
            [{"field": c.field, "old": c.old, "new": c.new} for c in item.changes],
            found.outcome.value if found else PLANNED,
            found.error if found else None,
            found.target_key if found else None,
            found.attempts if found else 0,
            found.duration_ms if found else 0.0,
            _lead_row(item.lead), item.fingerprint, list(item.grants) if item.grants else None,
        )  # fmt: skip


def _lead_row(lead: LeadRole | None) -> dict[str, str] | None:
    """The lead role of a HAND_OVER_LEAD item as stored (what `idsync undo` hands back)."""
    if lead is None:
        return None
    return {"kind": lead.kind, "id": lead.id, "name": lead.name, "lead": lead.lead}


_SUMMARY_COLUMNS = (
    RunRow.id,
    RunRow.profile,
    RunRow.trigger,
    RunRow.dry_run,
    RunRow.status,
    RunRow.started_at,
    RunRow.finished_at,
    RunRow.source,
    RunRow.scope,
    RunRow.source_users,
    RunRow.source_groups,
    RunRow.item_count,
    RunRow.counts_by_action,
    RunRow.counts_by_outcome,
    RunRow.error,
)


def list_runs(engine: Engine, profile: str | None = None, limit: int = 20) -> list[RunSummary]:
    """The most recent runs, newest first, of one profile or of all."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = select(*_SUMMARY_COLUMNS).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
    if profile is not None:
        query = query.where(RunRow.profile == profile)
    with read_transaction(engine) as connection:
        return [_summary(row) for row in connection.execute(query).all()]


def get_run(engine: Engine, run_id: str) -> RunDetail:
    """One run with every item, in plan order; raises RunNotFound for an unknown id."""
    extra = (
        RunRow.plan_created_at,
        RunRow.single_user,
        RunRow.timings,
        RunRow.notes,
        RunRow.disputes,
        RunRow.managed_users,
        RunRow.undo_of,
    )
    with read_transaction(engine) as connection:
        row = connection.execute(select(*_SUMMARY_COLUMNS, *extra).where(RunRow.id == run_id)).one_or_none()
        if row is None:
            raise RunNotFound(run_id)
        item_rows = connection.execute(
            select(*_ITEM_COLUMNS).where(_ITEMS.c.run_id == run_id).order_by(_ITEMS.c.idx)
        )
        items = tuple(_item(tuple(item)) for item in item_rows)
    base = len(_SUMMARY_COLUMNS)
    values: tuple[Any, ...] = tuple(row)
    plan_created_at, single_user, timings, notes, disputes, managed_users, undo_of = values[base:]
    return RunDetail(
        summary=_summary(values[:base]),
        plan_created_at=plan_created_at,
        single_user=single_user,
        timings=dict(timings or {}),
        notes=tuple(notes or ()),
        disputes=tuple(disputes or ()),
        managed_users=dict(managed_users or {}),
        items=items,
        undo_of=undo_of,
    )


def last_source_users(engine: Engine, profile: str) -> int | None:
    """Source user count of the profile's last completed non-dry run (None before the first).

    Completed means succeeded, partial or no_changes: a refused or failed run's read is no baseline
    (a guard refusing a suspiciously empty read must not make the next empty read look normal).
    """
    query = (
        select(RunRow.source_users)
        .where(
            RunRow.profile == profile,
            RunRow.dry_run.is_(False),
            RunRow.status.in_([status.value for status in COMPLETED]),
            RunRow.source_users.is_not(None),
        )
        .order_by(RunRow.started_at.desc(), RunRow.id.desc())
        .limit(1)
    )
    with read_transaction(engine) as connection:
        return connection.execute(query).scalar_one_or_none()


def _summary(row: Sequence[Any]) -> RunSummary:
    """A RunSummary from a row of `_SUMMARY_COLUMNS`."""
    (run_id, profile, trigger, dry_run, status, started, finished, source, scope, users, groups, count,
     by_action, by_outcome, error) = row  # fmt: skip
    return RunSummary(
        id=run_id,
        profile=profile,
        trigger=trigger,
        dry_run=bool(dry_run),
        status=status,
        started_at=started,
        finished_at=finished,
        source=source,
        scope=scope,
        source_users=users,
        source_groups=groups,
        item_count=count,
        counts_by_action=dict(by_action or {}),
        counts_by_outcome=dict(by_outcome or {}),
        error=error,
    )


_ITEM_FIELDS = (
    "idx", "action", "target", "subject", "user", "user_key", "source_id", "group", "new_lead",
    "reason_rule", "reason_detail", "changes", "outcome", "error", "target_key", "attempts", "duration_ms",
    "lead",
)  # fmt: skip
_ITEM_COLUMNS = tuple(_ITEMS.c[name] for name in _ITEM_FIELDS)


def _item(row: tuple[Any, ...]) -> RunItemRecord:
    """A RunItemRecord from a row of `_ITEM_COLUMNS` (positional: 20,000 items load twice as fast)."""
    (index, action, target, subject, user, user_key, source_id, group, new_lead, rule, detail, changes,
     outcome, error, target_key, attempts, duration_ms, lead) = row  # fmt: skip
    return RunItemRecord(
        index=index,
        action=action,
        target=target,
        subject=subject,
        user=user,
        user_key=user_key,
        source_id=source_id,
        group=group,
        new_lead=new_lead,
        reason_rule=rule,
        reason_detail=detail,
        changes=tuple(Change(c["field"], c["old"], c["new"]) for c in changes or ()),
        outcome=outcome,
        error=error,
        target_key=target_key,
        attempts=attempts,
        duration_ms=duration_ms,
        lead=LeadRole(lead["kind"], lead["id"], lead["name"], lead["lead"]) if lead else None,
    )
