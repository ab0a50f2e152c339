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
from collections.abc import Collection, Iterator

import structlog

from idsync.domain.plan import ItemResult
from idsync.store import Store

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 0.5
FLUSH_ROWS = 2000


class Positions(Collection[int]):
    """A set of item positions in a plan of `size` items, one byte per item: a set of 1.2 million
    ints held ~64 MB through a large initial sync's apply."""

    def __init__(self, size: int) -> None:
        self._marks = bytearray(size)
        self._count = 0

    def add(self, index: int) -> None:
        """Mark position `index` (0 ≤ index < size)."""
        if not self._marks[index]:
            self._marks[index] = 1
            self._count += 1

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < len(self._marks) and bool(self._marks[index])

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        return (index for index, mark in enumerate(self._marks) if mark)


class OutcomeJournal:
    """Collects outcomes from apply (on the event loop) and writes them in the background."""

    def __init__(self, store: Store, run_id: str, size: int) -> None:
        self.store = store
        self.run_id = run_id
        self.recorded = Positions(size)
        """Positions of the plan's `size` items whose outcome is in the store."""
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
                    for result in batch:
                        self.recorded.add(result.index)
            if self._closing and not self._waiting:
                return
