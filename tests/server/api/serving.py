"""`idsync serve` in its own process over the Okta and Jira emulators, with an API token made by the
real `idsync api token create`: what the REST API tests talk to over HTTP."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from idsync.service.context import open_store
from idsync.service.tokens import create_api_token
from tests.engine.e2e import CONFIG, INCLUDE
from tests.fixtures.sandbox import RunningJira, RunningOkta

API = "/api/v1"


def cli() -> str:
    """The installed `idsync` console script."""
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    assert found, "the idsync console script is not installed in this environment"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ApiServer:
    """A running `idsync serve`: its URL, config file, environment and one active API token."""

    url: str
    config: Path
    env: dict[str, str]
    token: str
    log: Path
    process: subprocess.Popen[bytes]

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on /api/v1 sending `token` (the server's own by default)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url + API, headers=headers, timeout=60, **kwargs)

    def idsync(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real `idsync` CLI on the same config."""
        return subprocess.run(
            [cli(), *args, "--config", str(self.config)],
            capture_output=True, text=True, timeout=120, check=False, env=self.env,
        )  # fmt: skip

    def new_token(self, name: str) -> str:
        """`idsync api token create NAME`: the token is alone on the last line of output."""
        made = self.idsync("api", "token", "create", name)
        assert made.returncode == 0, made.stderr
        return made.stdout.splitlines()[-1]


def write_config(
    tmp_path: Path, okta: RunningOkta, jira: RunningJira, *, max_deactivations: int = 1000
) -> Path:
    """The end-to-end tests' config (profile `p`: Okta → Jira) plus a SCIM inbox, as a file."""
    text = CONFIG.format(
        store_url=f"sqlite:///{tmp_path / 'idsync.db'}", okta_url=okta.url, jira_url=jira.url,
        okta_extra="", jira_retries=5, include=INCLUDE, max_deactivations=max_deactivations,
    )  # fmt: skip
    text = text.replace("connections:\n", "connections:\n  push: {type: scim_inbound}\n", 1)
    path = tmp_path / "idsync.yaml"
    path.write_text(text)
    return path


@contextlib.contextmanager
def serving(config: Path, env: dict[str, str], log: Path) -> Iterator[ApiServer]:
    """Start `idsync serve` on a free port, wait for /healthz, stop it (SIGTERM) at the end."""
    full_env = {**os.environ, **env}
    with open_store(config) as store:  # the CLI command is tested on its own (test_auth.py)
        token = create_api_token(store, "tests").token
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [cli(), "serve", "--port", str(port), "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=full_env,
        )  # fmt: skip
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
        yield ApiServer(url, config, full_env, token, log, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
