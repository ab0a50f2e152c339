"""Schedule slots in the store: which replica runs which due time, and the runs a trigger could not start.

A slot is claimed by inserting its (profile, slot_at) row: the primary key lets exactly one of several
`idsync serve` replicas on one database succeed, and a unique violation means another replica has it.
A claim is also refused when the profile already has a later or equal slot claimed, so a replica whose
clock lags cannot run a slot after a newer one ran. Rows older than `KEEP_SLOTS` behind the newest are
pruned as slots are claimed.

A trigger that finds the profile's run lock held (another run is going) is recorded as a run with
status "skipped" in one insert, so history shows every slot that came due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from idsync.store.db import read_transaction, write_transaction
from idsync.store.history import new_run_id
from idsync.store.models import RunRow, ScheduleSlotRow
from idsync.store.records import RunStatus

KEEP_SLOTS = timedelta(days=7)
"""Claimed slots are kept this long behind the profile's newest one (history keeps the runs)."""


@dataclass(frozen=True, slots=True)
class SlotRecord:
    """One claimed slot: who claimed it, when, and the run it became (None while it starts)."""

    profile: str
    slot_at: datetime
    claimed_by: str
    claimed_at: datetime
    run_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "profile": self.profile,
            "slot_at": self.slot_at.isoformat(),
            "claimed_by": self.claimed_by,
            "claimed_at": self.claimed_at.isoformat(),
            "run_id": self.run_id,
        }


def claim_slot(engine: Engine, profile: str, slot_at: datetime, holder: str) -> bool:
    """Claim one slot of a profile for `holder`; False when another replica claimed it (or a later one)."""
    now = datetime.now(UTC)
    try:
        with write_transaction(engine) as connection:
            newest = connection.execute(
                select(func.max(ScheduleSlotRow.slot_at)).where(ScheduleSlotRow.profile == profile)
            ).scalar_one_or_none()
            if newest is not None and _utc(newest) >= slot_at:
                return False
            connection.execute(
                insert(ScheduleSlotRow).values(
                    profile=profile, slot_at=slot_at, claimed_by=holder, claimed_at=now, run_id=None
                )
            )
            connection.execute(
                delete(ScheduleSlotRow).where(
                    ScheduleSlotRow.profile == profile, ScheduleSlotRow.slot_at < slot_at - KEEP_SLOTS
                )
            )
    except IntegrityError:
        return False
    return True


def set_slot_run(engine: Engine, profile: str, slot_at: datetime, run_id: str | None) -> None:
    """Record which run a claimed slot became."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(ScheduleSlotRow)
            .where(ScheduleSlotRow.profile == profile, ScheduleSlotRow.slot_at == slot_at)
            .values(run_id=run_id)
        )


def last_claimed(engine: Engine, profile: str) -> datetime | None:
    """The newest claimed slot of a profile (None before its first)."""
    with read_transaction(engine) as connection:
        newest = connection.execute(
            select(func.max(ScheduleSlotRow.slot_at)).where(ScheduleSlotRow.profile == profile)
        ).scalar_one_or_none()
    return None if newest is None else _utc(newest)


def list_slots(engine: Engine, profile: str | None = None, limit: int = 100) -> list[SlotRecord]:
    """The most recent claimed slots, newest first, of one profile or of all."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = select(ScheduleSlotRow).order_by(ScheduleSlotRow.slot_at.desc()).limit(limit)
    if profile is not None:
        query = query.where(ScheduleSlotRow.profile == profile)
    with read_transaction(engine) as connection:
        rows = connection.execute(query).mappings().all()
    return [
        SlotRecord(r["profile"], r["slot_at"], r["claimed_by"], r["claimed_at"], r["run_id"]) for r in rows
    ]


def record_skipped(engine: Engine, profile: str, trigger: str, reason: str) -> str:
    """Record, in one insert, a run of `profile` that a trigger did not start because the profile
    was running; `reason` (who holds the lock) becomes the run's error. Returns the run's id."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    run_id = new_run_id(now)
    with write_transaction(engine) as connection:
        connection.execute(
            insert(RunRow).values(
                id=run_id, profile=profile, trigger=trigger, dry_run=False,
                status=RunStatus.SKIPPED.value, started_at=now, finished_at=now, error=reason,
                item_count=0, counts_by_action={}, counts_by_outcome={}, timings={}, notes=[],
                disputes=[], managed_users={},
            )
        )  # fmt: skip
    return run_id


def mark_stopped(engine: Engine, profile: str, reason: str) -> list[str]:
    """Mark the profile's runs still "running" as failed with `reason` (a stopped server interrupted
    them); returns their ids. Call it only while holding the profile lock, as `mark_interrupted`."""
    with write_transaction(engine) as connection:
        ids = list(
            connection.execute(
                select(RunRow.id).where(RunRow.profile == profile, RunRow.status == RunStatus.RUNNING.value)
            ).scalars()
        )
        if ids:
            connection.execute(
                update(RunRow)
                .where(RunRow.id.in_(ids))
                .values(status=RunStatus.FAILED.value, finished_at=datetime.now(UTC), error=reason)
            )
    return ids


def _utc(value: object) -> datetime:
    """An aware UTC datetime from what `max(slot_at)` returns (a naive UTC one, or text, on SQLite)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"max(slot_at) returned {type(value).__name__}, not a datetime")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
