"""History as it happens: item outcomes written to the store while apply runs, in batches.

A run that is killed (SIGKILL, a crashed host, an OOM kill) must leave in history every write it
made, or the audit trail is lost exactly when it matters, and the next run cannot tell what the
dead one did. The plan's items are written before the first write (`Store.begin_apply`); apply
tells each outcome to `OutcomeJournal.tell` and a background task writes what has come in every
`FLUSH_SECONDS` (or at once when `FLUSH_ROWS` are waiting) in one transaction, off the event loop.
What is lost to a kill is at most the last interval's outcomes; recovery (idsync.engine.recovery)
finds those out by reading the target.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from idsync.domain.plan import ItemResult
from idsync.store import Store

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 0.5
FLUSH_ROWS = 2000


class OutcomeJournal:
    """Collects outcomes from apply (on the event loop) and writes them in the background."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.recorded: set[int] = set()
        """Indices whose outcome is in the store."""
        self._waiting: list[ItemResult] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> OutcomeJournal:
        self._task = asyncio.create_task(self._writer())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def tell(self, result: ItemResult) -> None:
        """One item's outcome (apply calls this as each item completes)."""
        self._waiting.append(result)
        if len(self._waiting) >= FLUSH_ROWS:
            self._wake.set()

    async def _writer(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_SECONDS)
            self._wake.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                try:
                    await asyncio.to_thread(self.store.record_outcomes, self.run_id, batch)
                except Exception as exc:  # the run goes on; its end writes these outcomes instead
                    log.warning("journal_write_failed", run_id=self.run_id, items=len(batch),
                                error=f"{type(exc).__name__}: {exc}")
                else:
                    self.recorded.update(r.index for r in batch)
            if self._closing and not self._waiting:
                return
