"""The records a run is described by: what to run (`RunRequest`), what it did (`RunReport`), and
between planning and apply, the checked plan with its bookkeeping (`Prepared`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from idsync.domain.plan import ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Dispute, Link, Snapshot, StateQuery
from idsync.engine.absences import AbsenceUpdate
from idsync.engine.customers import CustomerRun
from idsync.engine.guards import GuardReport
from idsync.store.records import RunStatus


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to run."""

    profile: str
    trigger: str = "manual"
    dry_run: bool = False
    allow_over_limit: bool = False
    user: str | None = None
    """Single-user sync: the source login to read; nobody else is touched."""
    full_read: bool = False
    """Read the source in full even where an incremental read would do (and look everyone up again)."""


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run did. `exit_code` follows docs/configuration.md: 0 ok, 1 failed items or failed run,
    3 refused."""

    status: RunStatus
    # repr=False: asyncio.run formats the finished main task (signal.signal's return value goes through
    # enum conversion, which reprs the SIGINT handler holding the task and so its result), and the
    # repr of a 200,000-item plan and its results took ~250 MB for a moment (bench/sync_okta_jira.py)
    plan: Plan | None = field(default=None, repr=False)
    guard: GuardReport | None = None
    results: tuple[ItemResult, ...] = field(default=(), repr=False)
    timings: Mapping[str, float] = field(default_factory=dict)
    run_id: str | None = None
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """The process exit status for this outcome."""
        if self.status is RunStatus.REFUSED:
            return 3
        if self.status in (RunStatus.FAILED, RunStatus.PARTIAL):
            return 1
        return 0

    def failed(self) -> list[tuple[PlanItem, ItemResult]]:
        """Failed items with their results."""
        if self.plan is None:
            return []
        return [(self.plan.items[r.index], r) for r in self.results if r.outcome is Outcome.FAILED]


@dataclass
class Prepared:
    """A planned run, checked by the guards, with what its bookkeeping after apply needs."""

    plan: Plan
    guard: GuardReport
    links: dict[str, dict[str, Link]]
    timings: dict[str, float]
    bookkeeping: dict[str, tuple[tuple[Link, ...], tuple[str, ...]]] = field(default_factory=dict)
    """Per target: links the diff found to need no write (upserts) or to point nowhere (deletes)."""
    customers: CustomerRun | None = None
    """The service-desk customer part (profiles with `service_desks`), for its links after apply."""
    absences: dict[str, AbsenceUpdate] = field(default_factory=dict)
    """Per target: the records of people it was found not to have (idsync.engine.absences)."""
    digests: dict[str, tuple[Mapping[str, str], Mapping[str, str]]] = field(default_factory=dict)
    """Per target: the managed groups' wanted digests now and as recorded (idsync.engine.group_digests);
    empty for a saved plan, whose groups' records are then dropped."""
    full_read: bool = True
    """Whether the source read was a full one (absence and digest records start afresh)."""


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What the plan records of the snapshot it was made from."""

    source: str
    users: int
    groups: int
    scope: str
    single_user: str | None

    @classmethod
    def of(cls, snapshot: Snapshot) -> SourceFacts:
        """The facts of `snapshot`."""
        return cls(snapshot.source, len(snapshot.users), len(snapshot.groups), snapshot.scope,
                   snapshot.single_user)


def make_plan(
    profile: str,
    facts: SourceFacts,
    items: Sequence[PlanItem],
    disputes: Sequence[Dispute],
    notes: Sequence[str],
    queries: Mapping[str, StateQuery],
    fingerprints: Mapping[str, str],
    managed: Mapping[str, int],
) -> Plan:
    """The plan of a run: its items and what it records of the source and the targets' reads."""
    return Plan(
        profile=profile,
        created_at=datetime.now(UTC),
        items=tuple(items),
        source=facts.source,
        source_users=facts.users,
        source_groups=facts.groups,
        scope=facts.scope,
        disputes=tuple(disputes),
        target_fingerprints=dict(fingerprints),
        queries=dict(queries),
        managed_users=dict(managed),
        single_user=facts.single_user,
        notes=tuple(notes),
    )
