"""idsync.runtime.release_memory: the memory a finished run freed goes back to the system."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import pytest

from idsync.runtime import release_memory

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
