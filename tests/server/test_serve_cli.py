"""`idsync serve` and `idsync scim token` as an admin runs them: real processes, a real config file.

The token is printed once on stdout (the message goes to stderr); a second issue without --rotate is
refused; --rotate makes the old token stop working and the new one work; --revoke leaves none. The
server answers /healthz and SCIM with the printed token, never logs it, and stops cleanly on SIGTERM
and on Ctrl-C (SIGINT). Token changes reach a running server within its 2-second cache, so the checks
after a change wait for the expected answer instead of expecting it at once.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

SCIM_TYPE = "application/scim+json"


def _cli() -> str:
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    assert found, "the idsync console script is not installed in this environment"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "idsync.yaml"
    path.write_text(
        f"""
database: sqlite:///{tmp_path / "idsync.db"}
connections:
  okta-push: {{type: scim_inbound}}
  entra-push: {{type: scim_inbound, max_body_bytes: 65536}}
profiles: {{}}
"""
    )
    return path


def _token(config: Path, connection: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_cli(), "scim", "token", connection, "--config", str(config), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextlib.contextmanager
def _serving(config: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [_cli(), "serve", "--port", str(port), "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
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
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _status(url: str, token: str, connection: str = "okta-push") -> int:
    return httpx.get(
        f"{url}/scim/v2/{connection}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).status_code


def test_token_issue_rotate_revoke_against_a_running_server(config: Path, tmp_path: Path) -> None:
    issued = _token(config, "okta-push")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert len(token) >= 40 and "\n" not in token and token not in issued.stderr
    assert "shown once" in issued.stderr
    again = _token(config, "okta-push")
    assert again.returncode == 2 and again.stdout == "" and "--rotate" in again.stderr
    entra = _token(config, "entra-push").stdout.strip()
    log = tmp_path / "serve.log"
    with _serving(config, log) as (process, url):
        health = httpx.get(f"{url}/healthz", timeout=10)
        assert health.json() == {"status": "ok"}
        r = httpx.get(
            f"{url}/scim/v2/okta-push/Users",
            params={"filter": 'userName eq "nobody@example.com"'},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(SCIM_TYPE)
        assert r.json()["totalResults"] == 0
        config_doc = httpx.get(
            f"{url}/scim/v1/okta-push/ServiceProviderConfigs",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert config_doc.status_code == 200
        assert _status(url, entra, "okta-push") == 401 and _status(url, entra, "entra-push") == 200
        rotated = _token(config, "okta-push", "--rotate")
        assert rotated.returncode == 0
        new = rotated.stdout.strip()
        assert new and new != token
        _eventually(lambda: _status(url, token) == 401, "the rotated-out token still works")
        _eventually(lambda: _status(url, new) == 200, "the new token does not work")
        revoked = _token(config, "okta-push", "--revoke")
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        _eventually(lambda: _status(url, new) == 401, "the revoked token still works")
        assert _status(url, token) == 401 and _status(url, entra, "entra-push") == 200
        assert "had no token" in _token(config, "okta-push", "--revoke").stdout
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    text = log.read_text()
    assert "/scim/v2/okta-push/" in text and "/scim/v2/entra-push/" in text
    for secret in (token, new, entra):
        assert secret not in text


def test_ctrl_c_stops_the_server(config: Path, tmp_path: Path) -> None:
    with _serving(config, tmp_path / "serve.log") as (process, url):
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/healthz", timeout=5)


def test_token_for_a_connection_that_is_not_scim_inbound(config: Path) -> None:
    result = _token(config, "okta")
    assert result.returncode == 2 and result.stdout == ""
    assert "'okta' is not a scim_inbound connection" in result.stderr
    assert "entra-push" in result.stderr and "okta-push" in result.stderr
    both = _token(config, "okta-push", "--rotate", "--revoke")
    assert both.returncode == 2 and "not both" in both.stderr
