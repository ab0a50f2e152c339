"""`idsync sandbox jira` as a real subprocess: it prints its URL and credentials, answers a PAT request
as Jira does, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the emulator exited early: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            httpx.get(f"{url}/rest/api/2/serverInfo", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def test_cli_serves_with_the_given_pat_and_prints_credentials():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--no-sync", "idsync", "sandbox", "jira", "--port", str(port), "--token", "t0k",
               "--users", "20", "--projects", "2", "--version", "10"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_until_serving(url, process)
        response = httpx.get(f"{url}/rest/api/2/user/search", params={"username": ".", "maxResults": 1000},
                             headers={"Authorization": "Bearer t0k"})  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert len(response.json()) == 21
        refused = httpx.get(f"{url}/rest/api/2/myself", headers={"Authorization": "Bearer other"})
        assert refused.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert f"{url}/rest/api/2/" in output
    assert "t0k" in output
    assert "admin / admin" in output
    assert process.returncode is not None
