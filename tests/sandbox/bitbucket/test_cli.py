"""`idsync sandbox bitbucket` as a real subprocess: it prints its URL and credentials, answers an
access-token request as documented, enforces --licensed-users, and stops on Ctrl-C."""

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
            raise AssertionError(
                f"the emulator exited early: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            httpx.get(f"{url}/rest/api/1.0/application-properties", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def test_cli_serves_with_the_given_token_and_prints_credentials():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--no-sync", "idsync", "sandbox", "bitbucket", "--port", str(port),
               "--token", "t0k", "--users", "20", "--seed", "4", "--licensed-users", "100",
               "--latency-ms", "1"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_until_serving(url, process)
        headers = {"Authorization": "Bearer t0k"}
        response = httpx.get(f"{url}/rest/api/1.0/admin/users", params={"limit": 100}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert len(response.json()["values"]) == 21
        licence = httpx.get(f"{url}/rest/api/1.0/admin/license", headers=headers).json()
        assert licence["maximumNumberOfUsers"] == 100
        refused = httpx.get(f"{url}/rest/api/1.0/admin/users", headers={"Authorization": "Bearer other"})
        assert refused.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert f"{url}/rest/api/1.0/" in output
    assert "t0k" in output
    assert "admin / admin" in output
    assert "licensed:" in output
