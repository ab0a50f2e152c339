"""The real CLI as a subprocess: `idsync sandbox okta --port P --users 1000 --token t0k`, then the
request of acceptance item 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import httpx

from idsync.sandbox.common.server import free_socket


def test_cli_serves_the_documented_user_listing() -> None:
    with free_socket() as sock:
        port = sock.getsockname()[1]
    command = ["uv", "run", "idsync", "sandbox", "okta", "--port", str(port), "--users", "1000",
               "--token", "t0k", "--memberships", "5000"]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        response = None
        while response is None:
            try:
                response = httpx.get(f"{url}/api/v1/users?limit=200", headers={"Authorization": "SSWS t0k"})
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "the CLI did not start listening"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json;charset=UTF-8"
        assert response.headers["x-okta-request-id"]
        for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"):
            assert response.headers[name].isdigit()
        links = response.headers.get_list("link")
        assert links[0] == f'<{url}/api/v1/users?limit=200>; rel="self"'
        assert links[1].startswith(f"<{url}/api/v1/users?after=")
        assert links[1].endswith('>; rel="next"')
        users = response.json()
        assert len(users) == 200
        assert {"id", "status", "created", "lastUpdated", "profile", "credentials", "_links"} <= set(users[0])
        assert all(u["status"] != "DEPROVISIONED" for u in users)
        assert httpx.get(f"{url}/api/v1/users", headers={"Authorization": "SSWS nope"}).status_code == 401
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}" in output
    assert "t0k" in output
    total = re.search(r"(\d+) memberships", output)
    assert total is not None and 4900 <= int(total.group(1)) <= 5100, output
