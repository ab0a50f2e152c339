"""`idsync serve` in its own process for the scheduler tests: start it, wait for /healthz, stop it
with SIGTERM (or kill it), and read what it did from the store."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from idsync.sandbox.common.server import free_port

T = TypeVar("T")


def _cli() -> str:
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    assert found, "the idsync console script is not installed in this environment"
    return found


@dataclass
class Serving:
    """A running `idsync serve`: its process, base URL and log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def terminate(self) -> int:
        """SIGTERM, and the exit status once it has stopped."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash or `kill -9`."""
        self.process.kill()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def serving(config: Path, env: Mapping[str, str], log: Path) -> Iterator[Serving]:
    """Start `idsync serve --config CONFIG` and yield once it answers /healthz; killed at exit if
    still running."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [_cli(), "serve", "--port", str(port), "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"idsync serve did not answer /healthz:\n{log.read_text()}"
            time.sleep(0.1)
        yield Serving(process, url, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def eventually(check: Callable[[], T | None], what: str, hang_guard: float = 90.0) -> T:
    """Poll `check` until it returns something truthy and return it; `hang_guard` seconds only guard
    against a hang (the tests assert on what happened, never on how long it took)."""
    deadline = time.monotonic() + hang_guard
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
