"""What the store hands back about runs: typed, frozen, with a JSON-friendly `to_dict()` for `--json`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from idsync.domain.errors import IdsyncError
from idsync.domain.plan import Change
from idsync.domain.records import LeadRole


class RunStatus(StrEnum):
    """How a run ended (or that it has not yet)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    """Some items failed; the others were applied."""
    FAILED = "failed"
    REFUSED = "refused"
    """A guard refused the plan; nothing was applied."""
    NO_CHANGES = "no_changes"
    PLANNED = "planned"
    """A dry run that computed its plan and wrote nothing."""
    SKIPPED = "skipped"
    """A trigger (a schedule slot, a hook) found the profile already running and did not start."""

    @classmethod
    def finished(cls, value: str) -> RunStatus:
        """Parse a final status, naming the valid ones when `value` is not one."""
        valid = [status.value for status in cls if status is not cls.RUNNING]
        if value not in valid:
            raise ValueError(f"run status {value!r} is not a final status; valid: {', '.join(valid)}")
        return cls(value)


PLANNED = "planned"
"""Outcome of an item that has no result: a dry run, a refused plan, or a run that failed before it."""

COMPLETED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.NO_CHANGES)
"""Runs whose source read was complete and accepted: the base of the "suspiciously empty" guard."""


class RunNotFound(IdsyncError, KeyError):
    """No run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r}; `idsync history` lists the recent runs")
        self.run_id = run_id

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One line of `idsync history`."""

    id: str
    profile: str
    trigger: str
    dry_run: bool
    status: str
    started_at: datetime
    finished_at: datetime | None
    source: str | None
    scope: str | None
    source_users: int | None
    source_groups: int | None
    item_count: int
    counts_by_action: Mapping[str, int]
    counts_by_outcome: Mapping[str, int]
    error: str | None

    @property
    def duration_s(self) -> float | None:
        """Wall-clock seconds from start to finish; None while the run is going."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (for `idsync history --json`)."""
        return {
            "id": self.id,
            "profile": self.profile,
            "trigger": self.trigger,
            "dry_run": self.dry_run,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": self.duration_s,
            "source": self.source,
            "scope": self.scope,
            "source_users": self.source_users,
            "source_groups": self.source_groups,
            "item_count": self.item_count,
            "counts_by_action": dict(self.counts_by_action),
            "counts_by_outcome": dict(self.counts_by_outcome),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class RunItemRecord:
    """One plan item of a run as history keeps it: what, why, and what became of it."""

    index: int
    action: str
    target: str
    subject: str
    user: str | None
    user_key: str | None
    source_id: str | None
    group: str | None
    new_lead: str | None
    reason_rule: str
    reason_detail: str
    changes: tuple[Change, ...]
    outcome: str
    error: str | None
    target_key: str | None
    attempts: int
    duration_ms: float
    lead: LeadRole | None = None
    """HAND_OVER_LEAD: the role and who led it before (None for other items, and for hand-overs
    recorded before history kept it)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "index": self.index,
            "action": self.action,
            "target": self.target,
            "subject": self.subject,
            "user": self.user,
            "user_key": self.user_key,
            "source_id": self.source_id,
            "group": self.group,
            "new_lead": self.new_lead,
            "reason": {"rule": self.reason_rule, "detail": self.reason_detail},
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
            "outcome": self.outcome,
            "error": self.error,
            "target_key": self.target_key,
            "attempts": self.attempts,
            "duration_ms": self.duration_ms,
            "lead": None if self.lead is None else {
                "kind": self.lead.kind, "id": self.lead.id, "name": self.lead.name, "lead": self.lead.lead,
            },
        }


@dataclass(frozen=True, slots=True)
class RunDetail:
    """Everything about one run, for `idsync history RUN_ID`. Items are in plan order."""

    summary: RunSummary
    plan_created_at: datetime | None
    single_user: str | None
    timings: Mapping[str, float]
    notes: tuple[str, ...]
    disputes: tuple[Mapping[str, Any], ...]
    managed_users: Mapping[str, int]
    items: tuple[RunItemRecord, ...]
    undo_of: str | None = None
    """For a run of `idsync undo`: the run it reverses."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (for `idsync history RUN_ID --json`)."""
        return {
            **self.summary.to_dict(),
            "plan_created_at": self.plan_created_at.isoformat() if self.plan_created_at else None,
            "single_user": self.single_user,
            "timings": dict(self.timings),
            "notes": list(self.notes),
            "disputes": [dict(d) for d in self.disputes],
            "managed_users": dict(self.managed_users),
            "undo_of": self.undo_of,
            "items": [item.to_dict() for item in self.items],
        }
