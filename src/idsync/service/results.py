"""The typed results of the use cases. Each is frozen and has a `to_dict()`: the JSON that `--json`
prints and the REST API answers, so both front ends say the same thing in the same words.

Records the store already serialises (`RunSummary`, `RunDetail`, `RunItemRecord`, `ApiToken`) and the
plan (`Plan.to_dict`) are embedded through their own `to_dict()`, never re-spelled here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idsync.domain.plan import ItemResult, Outcome
from idsync.engine.guards import GuardReport
from idsync.engine.run import RunReport
from idsync.store.records import RunItemRecord, RunStatus, RunSummary

OVERRIDE = "allow_over_limit"
"""The name of the override for safety limits, in the API's request bodies (`--allow-over-limit`
on the command line)."""


def guard_dict(guard: GuardReport | None) -> dict[str, Any] | None:
    """The guards' verdict as JSON: refused, the message, every violation with its limit, and the
    override that lifts the overridable ones."""
    if guard is None:
        return None
    violations = [dataclasses.asdict(violation) for violation in guard.violations]
    overridable = any(v.overridable for v in guard.blocking)
    return {
        "refused": guard.refused,
        "message": guard.message,
        "violations": violations,
        "limits": sorted({v.limit for v in guard.blocking}),
        "override": OVERRIDE if overridable else None,
    }


def result_dict(result: ItemResult) -> dict[str, Any]:
    """One item's outcome as JSON."""
    return {
        "index": result.index,
        "outcome": str(result.outcome),
        "error": result.error,
        "target_key": result.target_key,
        "attempts": result.attempts,
        "duration_ms": round(result.duration_ms, 1),
    }


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a sync, an apply or a single-user sync did (the engine's report, with the JSON of it)."""

    report: RunReport

    @property
    def status(self) -> RunStatus:
        """How the run ended."""
        return self.report.status

    @property
    def run_id(self) -> str | None:
        """The run's id in history (None for a dry run)."""
        return self.report.run_id

    @property
    def exit_code(self) -> int:
        """The CLI's exit status for this outcome."""
        return self.report.exit_code

    @property
    def refused(self) -> bool:
        """Whether a guard refused the plan (nothing of it was applied)."""
        return self.report.status is RunStatus.REFUSED

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `idsync sync --json` and of the API's run answers."""
        report = self.report
        return {
            "status": str(report.status),
            "run_id": report.run_id,
            "exit_code": report.exit_code,
            "error": report.error,
            "guard": guard_dict(report.guard),
            "timings": dict(report.timings),
            "plan": report.plan.to_dict() if report.plan is not None else None,
            "results": [result_dict(r) for r in report.results],
        }


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A computed plan with the guards' verdict; `id` is set once it is stored for a later apply."""

    report: RunReport
    id: str | None = None
    applied_run_id: str | None = None

    @property
    def exit_code(self) -> int:
        """0, or 3 when the guards would refuse it."""
        return self.report.exit_code

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `idsync plan --json` and of the API's plan answers."""
        plan = self.report.plan
        return {
            "id": self.id,
            "profile": plan.profile if plan is not None else None,
            "created_at": plan.created_at.isoformat() if plan is not None else None,
            "applied_run_id": self.applied_run_id,
            **RunResult(self.report).to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """One connection tested by `idsync check`."""

    name: str
    type: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {"name": self.name, "type": self.type, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The config is valid (else `check` raised); each connection's test, and notices for the admin."""

    connections: tuple[ConnectionCheck, ...]
    notices: tuple[str, ...]
    profiles: int

    @property
    def ok(self) -> bool:
        """Whether every connection answered."""
        return all(c.ok for c in self.connections)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `idsync check --json`."""
        return {
            "config": "ok",
            "connections": [c.to_dict() for c in self.connections],
            "notices": list(self.notices),
        }


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """One profile: what it reads and writes, its schedule, its next and last run."""

    name: str
    source: str
    targets: tuple[str, ...]
    schedule: Mapping[str, str | None] | None
    next_run: datetime | None
    last_run: RunSummary | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "name": self.name,
            "source": self.source,
            "targets": list(self.targets),
            "schedule": dict(self.schedule) if self.schedule is not None else None,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "last_run": self.last_run.to_dict() if self.last_run else None,
        }


@dataclass(frozen=True, slots=True)
class RunPage:
    """One page of runs, newest first; `next_cursor` fetches the next page (None on the last)."""

    runs: tuple[RunSummary, ...]
    next_cursor: str | None
    limit: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        runs = [r.to_dict() for r in self.runs]
        return {"runs": runs, "next_cursor": self.next_cursor, "limit": self.limit}


@dataclass(frozen=True, slots=True)
class RunView:
    """One run with one page of its items (`items_total` match the item filters)."""

    summary: Mapping[str, Any]
    """The run as `RunDetail.to_dict()` has it, without its items."""
    items: tuple[RunItemRecord, ...]
    items_total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page of items, None on the last."""
        following = self.offset + len(self.items)
        return following if following < self.items_total else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            **self.summary,
            "items": [item.to_dict() for item in self.items],
            "items_total": self.items_total,
            "offset": self.offset,
            "limit": self.limit,
            "next_offset": self.next_offset,
        }


@dataclass(frozen=True, slots=True)
class UserSyncResult:
    """What syncing one person changed: the run, and each item with its outcome."""

    profile: str
    login: str
    result: RunResult

    @property
    def exit_code(self) -> int:
        """The CLI's exit status for this outcome."""
        return self.result.exit_code

    def changes(self) -> list[dict[str, Any]]:
        """Each planned item with what became of it."""
        report = self.result.report
        if report.plan is None:
            return []
        outcomes = {r.index: r for r in report.results}
        changed = []
        for index, item in enumerate(report.plan.items):
            outcome = outcomes.get(index)
            changed.append({
                "action": str(item.action),
                "target": item.target,
                "subject": item.subject,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in item.changes],
                "outcome": str(outcome.outcome) if outcome else "planned",
                "error": outcome.error if outcome else None,
            })  # fmt: skip
        return changed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict: the run's status and id, and what changed."""
        report = self.result.report
        applied = sum(1 for r in report.results if r.outcome is Outcome.APPLIED)
        return {
            "profile": self.profile,
            "login": self.login,
            "status": str(report.status),
            "run_id": report.run_id,
            "error": report.error,
            "guard": guard_dict(report.guard),
            "applied": applied,
            "changes": self.changes(),
        }


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: the only time it is shown. `owner` is the API token's name or the SCIM
    connection."""

    owner: str
    token: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (with the token: it is shown this once)."""
        key = "connection" if self.kind == "scim" else "name"
        return {key: self.owner, "token": self.token}

