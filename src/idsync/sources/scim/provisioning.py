"""Provisioning of every accepted SCIM write into the targets, through the same rules → diff → apply
path as any run (`Engine.run`, trigger "scim").

The profiles a connection feeds are those whose `source` is that connection. Each profile has one
worker (an asyncio task on the server's loop) and an ordered queue of pending objects:

- a user write queues ("user", id) → a single-user run: read_user of the inbox gives that user and
  their groups with `single_user` set, so nobody else changes; a deleted user is "gone" and follows
  `when_removed`;
- a group write (create, rename, members, delete) queues ("all",) → a full reconcile from the inbox.
  The diff has no single-group mode; a full run from the inbox re-reads only users whose fingerprint
  changed plus the managed groups' members, so its cost is one member read per managed group.

Bursts coalesce: an object already queued is not queued twice, and a full run clears every user
queued before it started. Runs of one profile are serialised here (Engine.run also takes the profile
lock). A run that fails, ends with failed items, or finds the profile locked is retried with
exponential backoff (tenacity); the SCIM request never waits for any of this.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from idsync.config.model import IdsyncConfig
from idsync.connectors import build_source
from idsync.domain.errors import RunInProgress
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.sources.base import Source
from idsync.sources.scim.inbox_source import ScimInboxSource
from idsync.store import Store
from idsync.store.records import RunStatus

log = logging.getLogger("idsync.scim.provisioning")

Key = tuple[str, ...]
ALL: Key = ("all",)


class _RunFailed(Exception):
    """A provisioning run that should be retried (failed, partial, or the profile was locked)."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    """One finished provisioning run, for history-independent observation (tests, benchmarks)."""

    profile: str
    key: Key
    status: RunStatus | None
    queued_at: float
    """time.monotonic() when the first write of this object was accepted."""
    finished_at: float
    attempts: int
    error: str | None = None


class Provisioner:
    """Queues and runs the provisioning of accepted writes, one worker per profile."""

    def __init__(
        self,
        config: IdsyncConfig,
        store: Store,
        *,
        attempts: int = 6,
        max_wait: float = 60.0,
        on_done: Callable[[Provisioned], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.attempts = attempts
        self.max_wait = max_wait
        self.on_done = on_done
        self._queues: dict[str, OrderedDict[Key, float]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._busy = 0
        self._idle = threading.Condition()
        self.engine = Engine(config, store, source_factory=self._source)

    def _source(self, config: IdsyncConfig, name: str) -> Source:
        if name in self.connections():
            return ScimInboxSource(name, self.store.engine)
        return build_source(config, name)

    def connections(self) -> set[str]:
        """The scim_inbound connections some profile uses as its source."""
        from idsync.config.connections import ScimInboundConnection

        return {
            p.source
            for p in self.config.profiles.values()
            if isinstance(self.config.connections.get(p.source), ScimInboundConnection)
        }

    def profiles_for(self, connection: str) -> list[str]:
        """Every profile whose source is `connection`."""
        return sorted(name for name, p in self.config.profiles.items() if p.source == connection)

    def hook(self, connection: str) -> Callable[[str, str, str], None]:
        """The endpoint's on_write callback for one connection."""

        def on_write(kind: str, resource_id: str, operation: str) -> None:
            self.notify(connection, kind, resource_id, operation)

        return on_write

    def notify(self, connection: str, kind: str, resource_id: str, operation: str) -> None:
        """Queue the object an accepted write changed (called on the server's event loop)."""
        key: Key = ("user", resource_id) if kind == "User" else ALL
        now = time.monotonic()
        for profile in self.profiles_for(connection):
            queue = self._queues.setdefault(profile, OrderedDict())
            if key not in queue and ALL not in queue:
                with self._idle:
                    self._busy += 1
                queue[key] = now
            self._ensure_worker(profile).set()

    def _ensure_worker(self, profile: str) -> asyncio.Event:
        wakeup = self._wakeups.get(profile)
        if wakeup is None or profile not in self._tasks or self._tasks[profile].done():
            wakeup = self._wakeups[profile] = asyncio.Event()
            self._tasks[profile] = asyncio.get_running_loop().create_task(self._work(profile, wakeup))
        return wakeup

    async def _work(self, profile: str, wakeup: asyncio.Event) -> None:
        queue = self._queues.setdefault(profile, OrderedDict())
        while True:
            await wakeup.wait()
            wakeup.clear()
            while queue:
                if ALL in queue:
                    # A full reconcile covers every user queued so far: run it once, in their place.
                    queued_at = min(queue.values())
                    done = len(queue)
                    queue.clear()
                    await self._run(profile, ALL, queued_at)
                    self._finished(done)
                    continue
                key, queued_at = queue.popitem(last=False)
                await self._run(profile, key, queued_at)
                self._finished(1)

    def _finished(self, count: int) -> None:
        with self._idle:
            self._busy -= count
            self._idle.notify_all()

    async def _run(self, profile: str, key: Key, queued_at: float) -> None:
        request = RunRequest(profile, trigger="scim", user=key[1] if key[0] == "user" else None)
        attempts = 0
        report: RunReport | None = None
        error: str | None = None
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.5, max=self.max_wait),
                retry=retry_if_exception_type(_RunFailed),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    try:
                        report = await self.engine.run(request)
                    except RunInProgress as exc:
                        raise _RunFailed(str(exc)) from exc
                    if report.status in (RunStatus.FAILED, RunStatus.PARTIAL):
                        raise _RunFailed(report.error or f"run {report.run_id} ended {report.status}")
        except _RunFailed as exc:
            error = str(exc)
            log.warning(
                "SCIM provisioning of %s for profile %s gave up after %d attempts: %s",
                "/".join(key),
                profile,
                attempts,
                error,
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("SCIM provisioning of %s for profile %s failed", "/".join(key), profile)
        outcome = Provisioned(
            profile, key, report.status if report else None, queued_at, time.monotonic(), attempts, error
        )
        if self.on_done is not None:
            self.on_done(outcome)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block (from another thread) until nothing is queued or running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True
