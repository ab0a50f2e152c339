"""The provisioning worker: objects an outside system says have changed are synced into the targets
through the same rules → diff → apply path as any run (`Engine.run`), one queue per profile.

Two callers feed it: the SCIM inbox (every accepted write, trigger "scim") and the Okta Event Hooks
receiver (every delivered event, trigger "hook"). Each caller owns one `Provisioner`; each profile
has one worker (an asyncio task on the server's loop) and an ordered queue of pending objects:

- ("user", id) → a single-user run (`RunRequest(user=id)`): the source's read_user gives that user and
  their groups with `single_user` set, so nobody else changes; a user the SCIM inbox deleted is
  "gone" and follows `when_removed`;
- ("all",) → a full reconcile of the profile (a SCIM group write, an Okta group created, renamed or
  deleted). The diff has no single-group mode; a full run re-reads only what changed where the source
  can tell (the Okta membership cache, the inbox fingerprints).

Bursts coalesce: an object already queued is not queued twice, and a full run clears every user
queued before it started. Runs of one profile are serialised here (Engine.run also takes the profile
lock). A run that fails, ends with failed items, or finds the profile locked (a scheduled run beside
it) is retried with exponential backoff (tenacity); the request that queued it never waits for any of
this. What is still queued when the server stops is lost: the next scheduled run reconciles it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from idsync.config.connections import ScimInboundConnection
from idsync.config.model import IdsyncConfig
from idsync.connectors import build_source
from idsync.domain.errors import RunInProgress
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.service.context import in_own_loop
from idsync.sources.base import Source
from idsync.sources.scim.inbox_source import ScimInboxSource
from idsync.store import Store
from idsync.store.records import RunStatus

log = structlog.get_logger(__name__)

Key = tuple[str, ...]
ALL: Key = ("all",)


def user_key(user: str) -> Key:
    """The queue key of one user's sync (a source id or login)."""
    return ("user", user)


class _RunFailed(Exception):
    """A provisioning run that should be retried (failed, partial, or the profile was locked)."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    """One finished provisioning run, for history-independent observation (tests, benchmarks)."""

    profile: str
    key: Key
    status: RunStatus | None
    queued_at: float
    """time.monotonic() when the first change of this object was queued."""
    finished_at: float
    attempts: int
    error: str | None = None
    run_id: str | None = None


async def sync_once(engine: Engine, request: RunRequest) -> RunReport:
    """The one place this worker starts a run: on an event loop of its own in a worker thread, so a
    provisioning run never holds up the SCIM requests the server's loop answers."""
    return await in_own_loop(lambda: engine.run(request))


class Provisioner:
    """Queues and runs the provisioning of changed objects, one worker per profile."""

    def __init__(
        self,
        config: IdsyncConfig,
        store: Store,
        *,
        trigger: str = "scim",
        attempts: int = 6,
        max_wait: float = 60.0,
        on_done: Callable[[Provisioned], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.trigger = trigger
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
        return {
            p.source
            for p in self.config.profiles.values()
            if isinstance(self.config.connections.get(p.source), ScimInboundConnection)
        }

    def profiles_for(self, connection: str) -> list[str]:
        """Every profile whose source is `connection`."""
        return sorted(name for name, p in self.config.profiles.items() if p.source == connection)

    def hook(self, connection: str) -> Callable[[str, str, str], None]:
        """The SCIM endpoint's on_write callback for one connection."""

        def on_write(kind: str, resource_id: str, operation: str) -> None:
            self.notify(connection, kind, resource_id, operation)

        return on_write

    def notify(self, connection: str, kind: str, resource_id: str, operation: str) -> None:
        """Queue the object an accepted SCIM write changed (called on the server's event loop)."""
        key = user_key(resource_id) if kind == "User" else ALL
        for profile in self.profiles_for(connection):
            self.enqueue(profile, key)

    def enqueue(self, profile: str, key: Key) -> bool:
        """Queue one object of one profile (on the server's event loop); False when it was already
        queued or a queued full run covers it."""
        queue = self._queues.setdefault(profile, OrderedDict())
        added = key not in queue and ALL not in queue
        if added:
            with self._idle:
                self._busy += 1
            queue[key] = time.monotonic()
        self._ensure_worker(profile).set()
        return added

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
        request = RunRequest(profile, trigger=self.trigger, user=key[1] if key[0] == "user" else None)
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
                        report = await sync_once(self.engine, request)
                    except RunInProgress as exc:
                        raise _RunFailed(str(exc)) from exc
                    if report.status in (RunStatus.FAILED, RunStatus.PARTIAL):
                        raise _RunFailed(report.error or f"run {report.run_id} ended {report.status}")
        except _RunFailed as exc:
            error = str(exc)
            log.warning(
                "provisioning gave up",
                trigger=self.trigger,
                profile=profile,
                object="/".join(key),
                attempts=attempts,
                run_id=report.run_id if report else None,
                error=error,
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("provisioning failed", trigger=self.trigger, profile=profile, object="/".join(key))
        outcome = Provisioned(
            profile,
            key,
            report.status if report else None,
            queued_at,
            time.monotonic(),
            attempts,
            error,
            report.run_id if report else None,
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
