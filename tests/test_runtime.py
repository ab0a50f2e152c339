"""idsync.runtime: the memory a finished run freed goes back to the system, and a reused process keeps
its malloc arenas few."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

from idsync.runtime import MALLOC_ARENAS, release_memory

STATUS = Path("/proc/self/status")
"""Linux's status file of the calling process (proc(5)): its VmRSS line is the resident memory, in kB."""


def _rss_mib() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS in {STATUS}")


@pytest.mark.skipif(not STATUS.exists() or ctypes.util.find_library("c") is None,
                    reason="needs Linux's /proc and a C library")
def test_freed_memory_below_a_live_object_goes_back_to_the_system() -> None:
    # ~240 MB in 1 KiB blocks (malloc's, not pymalloc's), then one block kept above them: freeing the
    # others leaves a hole free() does not hand back, as a run's freed records below its survivors
    blocks = [bytes(1024) + str(n).encode() for n in range(240_000)]
    kept = bytes(1024) + b"kept"
    del blocks
    before = _rss_mib()
    release_memory()
    after = _rss_mib()
    assert kept.endswith(b"kept")
    assert before - after > 100, f"RSS {before:.0f} → {after:.0f} MiB"


_ARENAS = """
import ctypes, sys, threading
from idsync.runtime import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
start = threading.Barrier(8)
done = threading.Barrier(9)
def allocate():
    start.wait()  # all at once: each thread takes an arena when it first allocates
    blocks = [libc.malloc(4096) for _ in range(200)]
    done.wait()
    del blocks
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
done.wait()
libc.malloc_stats()  # glibc: one "Arena N:" paragraph per arena, on stderr
for thread in threads:
    thread.join()
"""


def _arenas(mode: str) -> int:
    finished = subprocess.run([sys.executable, "-c", _ARENAS, mode], capture_output=True, text=True,
                              check=True, timeout=60)
    return sum(1 for line in finished.stderr.splitlines() if line.startswith("Arena "))


@pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="needs a C library (glibc)")
def test_a_limited_process_keeps_its_threads_to_two_malloc_arenas() -> None:
    # eight threads allocating at once: glibc gives each its own arena, unless limited
    assert _arenas("unlimited") > MALLOC_ARENAS
    assert _arenas("limited") <= MALLOC_ARENAS
