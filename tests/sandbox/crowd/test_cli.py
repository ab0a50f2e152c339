"""`idsync sandbox crowd` as a real subprocess: it prints its URL and the application's credentials,
answers an application-authenticated request, refuses other credentials, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx

from idsync.sandbox.common.server import free_port

API = "/rest/usermanagement/1"


def _wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the emulator exited early: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            httpx.get(f"{url}{API}/search", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def test_cli_serves_the_given_application_and_prints_credentials() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--no-sync", "idsync", "sandbox", "crowd", "--port", str(port), "--users", "20",
               "--application", "sync-app", "--password", "pw-42", "--seed", "5"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_until_serving(url, process)
        response = httpx.get(f"{url}{API}/search", params={"entity-type": "user"}, auth=("sync-app", "pw-42"),
                             headers={"Accept": "application/json"})  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert len(response.json()["users"]) == 21
        refused = httpx.get(f"{url}{API}/search", params={"entity-type": "user"}, auth=("sync-app", "no"))
        assert refused.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert f"{url}{API}/" in output
    assert "sync-app / pw-42" in output
    assert process.returncode is not None
