"""The event loop idsync's own commands run on: uvloop.

Why: pyreqwest, the HTTP stack (idsync.http), completes each request from its own runtime's threads,
so every answer wakes the loop from another thread; uvloop does that, and the rest of a request's
scheduling, for less CPU than asyncio's own loop. Measured with bench/sync_okta_jira.py (10,000
people, 1,000 groups, 200,000 memberships, 10 ms, 48 in flight; the same clone, back to back): the
initial sync 93.3 → 78.7 s, engine CPU per applied item 0.22–0.31 → 0.19 ms, apply efficiency 0.54 →
0.65. `idsync serve` runs its server on uvloop already (idsync.server.uvicorn_runner).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a new uvloop event loop (what `asyncio.run` does, on uvloop)."""
    return uvloop.run(coro)


def release_memory() -> None:
    """Hand the memory a finished run freed back to the operating system, in a process that runs
    again (a `idsync serve` worker): collect what cycles hold, then glibc's `malloc_trim`, which
    returns the free pages of every malloc arena. Without it a worker keeps much of the peak of its
    largest run: after an initial sync of 30,000 people (the report dropped) a process that started
    at 96 MB held 300 MB, 223 MB after the trim. Elsewhere (no glibc) only the collection runs."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


MALLOC_ARENAS = 2
"""The malloc arenas a process that runs again may use (`limit_malloc_arenas`)."""

_M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most arenas (M_ARENA_MAX in malloc.h)."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc use at most `arenas` arenas in this process, as `MALLOC_ARENA_MAX` would;
    False where that cannot be set (no glibc). Called first thing in a process that runs again (an
    `idsync serve` worker): glibc gives threads arenas of their own (the store's and the HTTP stack's
    threads allocate too, up to 8 per core), and what a run frees stays spread over them, so a reused
    process kept growing. Measured with 20,000 people (1,000 groups, 200,000 memberships), an initial
    sync and then 14 no-op runs in one process, RSS at the start of each run after `release_memory`:
    202 → 291 MiB by the seventh run and level from there with glibc's default, 202 → 217 MiB with 2
    arenas; the initial sync's apply took the same time (33–40 s either way, two runs each)."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_ARENA_MAX, arenas))


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - present in glibc only (not in musl or macOS's libc)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()
