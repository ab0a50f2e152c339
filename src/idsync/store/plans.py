"""Stored plans: a plan computed for review (`POST /api/v1/plans`) and kept, so that exactly that plan
can be applied later by its id. The body is the plan as `Plan.to_json` wrote it; `applied_run_id`
records the run that applied it, and a plan is applied at most once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from idsync.domain.errors import IdsyncError
from idsync.domain.plan import Plan
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import StoredPlanRow


class PlanNotFound(IdsyncError, KeyError):
    """No stored plan has this id."""

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"no plan with id {plan_id!r}; make one with POST /api/v1/plans")
        self.plan_id = plan_id

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class StoredPlanRecord:
    """A stored plan with its id and, once applied, the run that applied it."""

    id: str
    profile: str
    created_at: datetime
    plan: Plan
    applied_run_id: str | None


def new_plan_id(now: datetime) -> str:
    """A short id that sorts by creation time, e.g. `20250301-142501123-9f3a1c2e`."""
    return f"{now:%Y%m%d-%H%M%S}{now.microsecond // 1000:03d}-{secrets.token_hex(4)}"


def save(engine: Engine, plan: Plan) -> str:
    """Store `plan`; returns its id."""
    now = datetime.now(UTC)
    plan_id = new_plan_id(now)
    with write_transaction(engine) as conn:
        # values as execution parameters, never `.values(...)`: the compiled cache would keep the first
        # plan's body (a 150,000-person initial plan: ~1.2 million items) for the life of the process
        # (docs/architecture.md)
        conn.execute(insert(StoredPlanRow), {
            "id": plan_id, "profile": plan.profile, "created_at": now, "body": plan.to_json().decode(),
            "applied_run_id": None,
        })  # fmt: skip
    return plan_id


def load(engine: Engine, plan_id: str) -> StoredPlanRecord:
    """The stored plan `plan_id`; raises PlanNotFound."""
    columns = (StoredPlanRow.id, StoredPlanRow.profile, StoredPlanRow.created_at, StoredPlanRow.body,
               StoredPlanRow.applied_run_id)  # fmt: skip
    with read_transaction(engine) as conn:
        row = conn.execute(select(*columns).where(StoredPlanRow.id == plan_id)).one_or_none()
    if row is None:
        raise PlanNotFound(plan_id)
    return StoredPlanRecord(row[0], row[1], row[2], Plan.from_json(row[3]), row[4])


def header(engine: Engine, plan_id: str) -> tuple[str, datetime, str | None]:
    """Profile, creation time and applying run of stored plan `plan_id`, without its body (a stored
    plan's body never changes, so a reader that parsed it once needs only these); raises PlanNotFound."""
    columns = (StoredPlanRow.profile, StoredPlanRow.created_at, StoredPlanRow.applied_run_id)
    with read_transaction(engine) as conn:
        row = conn.execute(select(*columns).where(StoredPlanRow.id == plan_id)).one_or_none()
    if row is None:
        raise PlanNotFound(plan_id)
    return row[0], row[1], row[2]


def mark_applied(engine: Engine, plan_id: str, run_id: str) -> None:
    """Record the run that applied the plan."""
    with write_transaction(engine) as conn:
        conn.execute(update(StoredPlanRow).where(StoredPlanRow.id == plan_id).values(applied_run_id=run_id))
