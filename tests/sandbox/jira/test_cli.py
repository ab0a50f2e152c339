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


def _wait_until_serving(url: str, process: subprocess.Popen[str], token: str) -> bool:
    """Whether `process` came to serve on `url`: it answers GET /myself with `token`. False when the
    process exited first (another test's server took the port between `_free_port` and its bind); an
    answer from that other server (a 401 for our token) is not taken for ours."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            answer = httpx.get(f"{url}/rest/api/2/myself", headers={"Authorization": f"Bearer {token}"},
                               timeout=1)
            if answer.status_code == 200 and process.poll() is None:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def _start(options: list[str], token: str = "t0k") -> tuple[str, subprocess.Popen[str]]:
    """`idsync sandbox jira` with `options` on a free port, serving: (its URL, the process). A port
    taken by another test in the meantime is given up for another, three times at most."""
    outputs = []
    for _ in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = ["uv", "run", "--no-sync", "idsync", "sandbox", "jira", "--port", str(port),
                   "--token", token, *options]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if _wait_until_serving(url, process, token):
            return url, process
        outputs.append(process.stdout.read() if process.stdout else "")
    raise AssertionError(f"the emulator exited early, three times: {outputs}")


def test_cli_serves_with_the_given_pat_and_prints_credentials():
    url, process = _start(["--users", "20", "--projects", "2", "--version", "10"])
    try:
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
