"""Long work started from a page (applying a plan, syncing one person) runs as a background task of
the server; the page polls the job's progress fragment until it is done, then shows the result.

A job's progress is what the engine reports through the `Progress` interface (the same bars the CLI
draws), recorded thread-safely since the run may report from a worker thread. Jobs live in this
server's memory: the result page of a job is served by the replica that runs it, and the run itself
is recorded in history like any other.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from idsync.domain.errors import IdsyncError
from idsync.domain.progress import Progress, ProgressTask

KEEP = 50
"""Finished jobs kept for their result pages (the oldest are dropped first)."""


@dataclass
class Bar:
    """One piece of work the run reported, e.g. "jira: apply" 120 of 300."""

    description: str
    total: int | None
    done: int = 0

    @property
    def percent(self) -> int | None:
        """How far along, when the total is known."""
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


class _Task(ProgressTask):
    def __init__(self, bar: Bar, lock: threading.Lock) -> None:
        self._bar = bar
        self._lock = lock

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self._bar.done += amount

    def set_total(self, total: int | None) -> None:
        with self._lock:
            self._bar.total = total


class Recorder(Progress):
    """A `Progress` that keeps its bars for the progress fragment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bars: list[Bar] = []

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        """Start a new bar."""
        bar = Bar(description, total)
        with self._lock:
            self._bars.append(bar)
        return _Task(bar, self._lock)

    def bars(self) -> list[Bar]:
        """A copy of the bars as they stand."""
        with self._lock:
            return [Bar(b.description, b.total, b.done) for b in self._bars]


@dataclass
class Job:
    """One piece of background work and, once done, its result or its error."""

    id: str
    kind: str
    title: str
    admin: str
    started_at: datetime
    progress: Recorder = field(default_factory=Recorder)
    finished_at: datetime | None = None
    result: Any = None
    error: str | None = None
    error_kind: str | None = None
    plan_id: str | None = None
    """The stored plan an apply job applies (for "make a new plan" links)."""
    profile: str | None = None

    @property
    def done(self) -> bool:
        """Whether the work has ended (with a result or an error)."""
        return self.finished_at is not None


class Jobs:
    """The jobs of this server, by id."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, kind: str, title: str, admin: str, work: Callable[[Recorder], Awaitable[Any]]) -> Job:
        """Start `work(progress)` in the background; returns the job to poll."""
        job = Job(secrets.token_urlsafe(9), kind, title, admin, datetime.now(UTC))
        self._jobs[job.id] = job
        task = asyncio.ensure_future(self._run(job, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._trim()
        return job

    async def _run(self, job: Job, work: Callable[[Recorder], Awaitable[Any]]) -> None:
        try:
            job.result = await work(job.progress)
        except IdsyncError as exc:  # refusals and failures the service names: shown on the page
            job.error, job.error_kind = str(exc), type(exc).__name__
        except Exception as exc:  # an unexpected failure still ends the job visibly
            job.error, job.error_kind = f"{type(exc).__name__}: {exc}", "InternalError"
        finally:
            job.finished_at = datetime.now(UTC)

    def get(self, job_id: str) -> Job | None:
        """The job `job_id`, None when unknown (or dropped)."""
        return self._jobs.get(job_id)

    def _trim(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.done), key=lambda j: j.started_at)
        for job in finished[: max(0, len(finished) - KEEP)]:
            del self._jobs[job.id]
