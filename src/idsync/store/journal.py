"""A killed run's journal: what it meant to do (its items, written before the first write by
`history.begin_apply`) and what it recorded as done (outcomes written as they happened). Recovery
(idsync.engine.recovery) reads it back at the next start of the profile, under its lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from idsync.domain.plan import Action, Change, ItemResult, Outcome, PlanItem
from idsync.domain.records import LeadRole, Reason
from idsync.store.db import read_transaction, write_transaction
from idsync.store.history import record_outcomes
from idsync.store.models import RunItemRow, RunRow
from idsync.store.records import PLANNED, RunStatus


@dataclass(frozen=True, slots=True)
class Journal:
    """One unfinished run: its items in plan order and the outcomes it recorded (by index)."""

    run_id: str
    items: tuple[PlanItem, ...]
    outcomes: dict[int, ItemResult]

    @property
    def open_items(self) -> list[tuple[int, PlanItem]]:
        """Items with no recorded outcome: in flight when the process died, or never started."""
        return [(i, item) for i, item in enumerate(self.items) if i not in self.outcomes]


def unfinished_runs(engine: Engine, profile: str) -> list[str]:
    """Ids of the profile's runs still "running", oldest first. Call only while holding the profile
    lock: then none of them can still be going."""
    query = select(RunRow.id).where(RunRow.profile == profile, RunRow.status == RunStatus.RUNNING.value) \
        .order_by(RunRow.started_at)
    with read_transaction(engine) as connection:
        return list(connection.execute(query).scalars())


def load_journal(engine: Engine, run_id: str) -> Journal:
    """The run's items and recorded outcomes (no items: it was killed before apply began)."""
    query = select(RunItemRow).where(RunItemRow.run_id == run_id).order_by(RunItemRow.idx)
    items: list[PlanItem] = []
    outcomes: dict[int, ItemResult] = {}
    with read_transaction(engine) as connection:
        for row in connection.execute(query).all():
            items.append(_item(row))
            if row.outcome != PLANNED:
                outcomes[row.idx] = ItemResult(row.idx, Outcome(row.outcome), row.error, row.target_key,
                                               row.attempts, row.duration_ms)
    return Journal(run_id, tuple(items), outcomes)


def close_interrupted(engine: Engine, journal: Journal, resolved: Sequence[ItemResult], why: str) -> None:
    """Write what recovery found out about the open items, then end the run as failed (interrupted)
    with its counts."""
    record_outcomes(engine, journal.run_id, resolved)
    outcomes = {**journal.outcomes, **{r.index: r for r in resolved}}
    counts = Counter(outcomes[i].outcome.value if i in outcomes else PLANNED
                     for i in range(len(journal.items)))
    with write_transaction(engine) as connection:
        connection.execute(update(RunRow).where(RunRow.id == journal.run_id).values(
            status=RunStatus.FAILED.value, finished_at=datetime.now(UTC), error=why,
            counts_by_outcome=dict(counts),
        ))


def _item(row: Any) -> PlanItem:
    """A run_items row (all of RunItemRow's columns) as the PlanItem it recorded."""
    lead = LeadRole(**row.lead) if row.lead else None
    return PlanItem(
        action=Action(row.action),
        target=row.target,
        reason=Reason(row.reason_rule, row.reason_detail),
        user=row.user,
        user_key=row.user_key,
        source_id=row.source_id,
        group=row.group,
        changes=tuple(Change(c["field"], c["old"], c["new"]) for c in row.changes or ()),
        lead=lead,
        new_lead=row.new_lead,
        fingerprint=row.fingerprint,
        grants=tuple(row.grants or ()),
    )
