"""`idsync sandbox confluence` as a real subprocess: it prints its URL and credentials, serves the
release asked for with the given PAT, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx

from idsync.sandbox.common.server import free_port


def _wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the emulator exited early: {output}")
        try:
            httpx.get(f"{url}/rest/applinks/1.0/manifest", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def test_cli_serves_the_version_with_the_given_pat_and_prints_credentials() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--no-sync", "idsync", "sandbox", "confluence", "--port", str(port),
               "--token", "t0k", "--users", "20", "--version", "8.4", "--licensed-users", "50"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_until_serving(url, process)
        auth = {"Authorization": "Bearer t0k"}
        listed = httpx.get(f"{url}/rest/api/user/list", headers=auth)
        manifest = httpx.get(f"{url}/rest/applinks/1.0/manifest", headers={"Accept": "application/json"})
        refused = httpx.get(f"{url}/rest/api/user/current", headers={"Authorization": "Bearer other"})
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert listed.status_code == 200 and len(listed.json()["results"]) == 21
    assert manifest.json()["version"] == "8.4.5"
    assert refused.status_code == 401
    assert f"Confluence 8.4.5 emulator: {url}/rest/api/" in output
    assert "t0k" in output and "admin / admin" in output and "licensed users: 50" in output
