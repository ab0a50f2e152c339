"""Run an ASGI app under uvicorn on a loopback port, in the foreground (CLI) or in a background thread
(tests, benchmarks, `idsync demo`).

Why uvicorn (with httptools and uvloop) and not granian, the Rust ASGI server: serving the Jira
emulator in its own process to bench/jira_emulator.py, granian 2.8.9 (1 worker, uvloop) took ~46% more
CPU per request (0.246 against 0.169 ms, weighted by a sync's request mix) for ~10% fewer requests/s;
its other runtime modes and its embedded server did no better. The figures are in that bench's
docstring."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
import uvloop


def free_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound, listening TCP socket (port 0: any free port), handed to uvicorn."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for a server started in another process)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _config(app: Any, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="uvloop",
        http="httptools",
        timeout_keep_alive=30,
        backlog=2048,
    )


@dataclass
class RunningServer:
    """A server started by `serve_in_thread`. `url` has no trailing slash."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to shut down and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "critical"
) -> RunningServer:
    """Start `app` in a daemon thread with its own event loop; returns once it accepts connections."""
    sock = free_socket(host, port)
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, log_level))

    def run() -> None:
        # uvicorn applies `loop="uvloop"` only in uvicorn.run(); serving ourselves we must pick the loop,
        # and the default asyncio loop costs ~45 ms per request on loopback here (vs ~3 ms with uvloop)
        uvloop.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"sandbox-{actual_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"sandbox server on port {actual_port} did not start")
        time.sleep(0.01)
    return RunningServer(f"http://{host}:{actual_port}", actual_port, server, thread)


def serve_forever(app: Any, host: str, port: int, log_level: str = "warning") -> None:
    """Run in the foreground until Ctrl-C (the `idsync sandbox ...` commands)."""
    sock = free_socket(host, port)
    server = uvicorn.Server(_config(app, log_level))
    uvloop.run(server.serve(sockets=[sock]))
