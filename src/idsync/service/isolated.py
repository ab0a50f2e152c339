"""Runs in a process of their own, for `idsync serve`.

A large run is CPU work in Python: in the server's process it shares one interpreter (one core, the
GIL) with every SCIM and API request, and both slow down — measured with bench/serve_under_sync.py at
10,000 users, the p99 of GET /Users/{id} tripled and the run took 419 s instead of ~82 s. A run in a
worker process gets a core of its own.

The worker opens its own store from the same database URL (once per worker), so history, links and the
profile lock are shared as with any other replica. A stop (idsync serve shutting down) reaches it
through a manager Event: the run starts no further item, lets those in flight finish and records
itself as interrupted. The run's counters are recorded in the server's /metrics from the report the
worker returns.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.managers import SyncManager
from typing import Any

from idsync import logs, metrics
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.runtime import limit_malloc_arenas, release_memory, run_loop
from idsync.store import Store

_STOP_POLL = 0.2
"""Seconds between the worker's looks at the stop flag."""
_STORES: dict[str, Store] = {}
"""The worker's open stores by database URL, opened (and migrations checked) once per worker."""


def _store(database: str) -> Store:
    store = _STORES.get(database)
    if store is None:
        store = _STORES[database] = Store.open(database)
    return store


def _warm(database: str) -> None:
    """Open the store in a fresh worker ahead of its first run (imports and migrations check)."""
    _store(database)


def _run(config: IdsyncConfig, request: RunRequest, stop: Any) -> RunReport:
    """Worker entry point: run, return the report (picklable records only)."""
    logs.configure_for(config)

    async def main() -> RunReport:
        stopping = asyncio.Event()

        async def watch() -> None:
            while not stopping.is_set():
                if stop.is_set():
                    stopping.set()
                    return
                await asyncio.sleep(_STOP_POLL)

        watcher = asyncio.ensure_future(watch())
        try:
            return await Engine(config, _store(config.database)).run(request, stop=stopping)
        finally:
            watcher.cancel()

    try:
        return run_loop(main())
    finally:
        release_memory()  # the worker runs again: what this run freed goes back to the system


class ProcessRunner:
    """Runs of one server in worker processes (forkserver: no inherited loop or threads)."""

    def __init__(self, config: IdsyncConfig, *, workers: int = 2) -> None:
        self.config = config
        context = multiprocessing.get_context("forkserver")
        # a worker runs again and again: its malloc arenas are limited before any thread starts
        self._pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context,
                                         initializer=limit_malloc_arenas)
        self._manager: SyncManager = context.Manager()
        self._stop = self._manager.Event()
        self._warming = [self._pool.submit(_warm, config.database) for _ in range(max(1, workers))]

    def wait_ready(self) -> None:
        """Block until the workers have started and opened the store (about 3 s from a cold start),
        so a due slot's run starts at once once the scheduler runs."""
        for future in self._warming:
            future.result()

    async def run(self, request: RunRequest) -> RunReport:
        """One run in a worker; its outcome is counted in this process's metrics."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(self._pool, _run, self.config, request, self._stop)
        profile = report.plan.profile if report.plan is not None else request.profile or ""
        metrics.record_finished(profile, request, report, time.perf_counter() - started, log=False)
        return report

    def stop(self) -> None:
        """Tell every running run to start no further item."""
        self._stop.set()

    def close(self) -> None:
        """Wait for the workers' runs to record themselves, then end the workers."""
        self._pool.shutdown(wait=True)
        self._manager.shutdown()
