"""An Okta emulator and a Jira emulator (in this process), a config with Okta Event Hooks, an initial
sync, and `idsync serve` in its own process with the hook registered by the real
`idsync check --register-hooks`: what the Event Hooks, metrics and logs tests talk to over HTTP.

Secrets are random per world and passed through the environment (`${OKTA_TOKEN}` …), as an admin
would; `secrets` lists every one so a test can look for them in logs and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from idsync.config.loader import parse_config
from idsync.engine.run import Engine, RunRequest
from idsync.store import Store
from idsync.store.records import RunSummary
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: sqlite:///{db}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
    event_hooks:
      secret: ${{OKTA_HOOK_SECRET}}
  jira:
    type: jira
    url: {jira_url}
    token: ${{JIRA_TOKEN}}
    expires_at: {expires_at}
  push: {{type: scim_inbound}}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
      include: ["^team-"]
    safety:
      max_deactivation_percent: 100
      protected_users: [admin]
"""
PEOPLE = {"alice": ["team-eng"], "bob": ["team-eng"], "carol": ["team-eng", "team-ops"]}
EXPIRES_IN_DAYS = 30


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


def eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait until `check()` holds (a deadline for waiting, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@dataclass
class HookWorld:
    """Everything one test needs; `ids` are the Okta ids of PEOPLE and the groups by name."""

    okta: RunningOkta
    jira: RunningJira
    config: Path
    env: dict[str, str]
    db: str
    url: str = ""
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    ids: dict[str, str] = field(default_factory=dict)
    hook_id: str = ""

    @property
    def secrets(self) -> dict[str, str]:
        """Every configured secret value, by environment variable."""
        return {k: v for k, v in self.env.items() if k in ("OKTA_TOKEN", "JIRA_TOKEN", "OKTA_HOOK_SECRET")}

    @property
    def hook_url(self) -> str:
        """The receiver of connection `okta`."""
        return f"{self.url}/hooks/okta/okta"

    def idsync(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real CLI on this world's config and environment."""
        return subprocess.run(
            [cli(), *args, "--config", str(self.config)],
            capture_output=True, text=True, timeout=120, check=False, env=self.env,
        )  # fmt: skip

    def runs(self, trigger: str | None = None) -> list[RunSummary]:
        """History of profile `p`, oldest first (read from the same database the server writes)."""
        with Store.open(self.db) as store:
            found = store.runs("p", limit=1000)
        return [r for r in reversed(found) if trigger is None or r.trigger == trigger]

    def settled_runs(self, trigger: str = "hook") -> list[RunSummary]:
        """The runs of `trigger`, once none of them is still running."""
        eventually(lambda: all(r.finished_at is not None for r in self.runs(trigger)), "a run never ended")
        return self.runs(trigger)

    def jira_user(self, name: str) -> Any:
        """The Jira emulator's user `name`."""
        return self.jira.sandbox.state.user_by_name(name)

    def jira_members(self, group: str) -> set[str]:
        """Usernames in a Jira group."""
        state = self.jira.sandbox.state
        found = state.groups.get(group.lower())
        return {state.users[key].name for key in found.members} if found else set()

    def metrics(self) -> str:
        """The server's /metrics text."""
        response = httpx.get(f"{self.url}/metrics", timeout=10)
        response.raise_for_status()
        return response.text

    def okta_api(self) -> httpx.Client:
        """The Okta emulator's API with the admin token."""
        return self.okta.client()

    def set_hook_active(self, active: bool) -> None:
        """Activate or deactivate the registered hook in Okta (no deliveries while inactive)."""
        verb = "activate" if active else "deactivate"
        with self.okta_api() as okta:
            okta.post(f"/api/v1/eventHooks/{self.hook_id}/lifecycle/{verb}").raise_for_status()

    def last_event(self, event_type: str) -> dict[str, Any]:
        """The newest System Log event of a type, as Okta would deliver it."""
        with self.okta_api() as okta:
            events = okta.get("/api/v1/logs", params={"sortOrder": "DESCENDING", "limit": 100}).json()
        return next(e for e in events if e["eventType"] == event_type)

    def deliver(
        self, events: list[dict[str, Any]], *, secret: str | None, event_id: str | None = None
    ) -> int:
        """POST a delivery as Okta does (its envelope), with `secret` in Authorization (None: no header)."""
        envelope = {
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": f"{self.okta.url}/api/v1/eventHooks/{self.hook_id}",
            "eventId": event_id or secrets.token_hex(16),
            "data": {"events": events},
            "eventTime": datetime.now(UTC).isoformat(),
            "contentType": "application/json",
        }
        headers = {"Authorization": secret} if secret is not None else {}
        return httpx.post(self.hook_url, json=envelope, headers=headers, timeout=10).status_code

    def stop(self) -> int:
        """SIGTERM the server; its exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def make_world(tmp_path: Path, okta: RunningOkta, jira: RunningJira) -> HookWorld:
    """People and groups in Okta, the config file, and an initial sync (in this process)."""
    env = {
        **os.environ,
        "OKTA_TOKEN": okta.token,
        "JIRA_TOKEN": jira.token,
        "OKTA_HOOK_SECRET": "hook-" + secrets.token_hex(20),
    }
    db = f"sqlite:///{tmp_path / 'idsync.db'}"
    expires = (datetime.now(UTC) + timedelta(days=EXPIRES_IN_DAYS)).date().isoformat()
    text = CONFIG.format(db=tmp_path / "idsync.db", okta_url=okta.url, jira_url=jira.url, expires_at=expires)
    path = tmp_path / "idsync.yaml"
    path.write_text(text)
    world = HookWorld(okta, jira, path, env, db)
    with okta.client() as api:
        for group in sorted({g for groups in PEOPLE.values() for g in groups}):
            made = api.post("/api/v1/groups", json={"profile": {"name": group}})
            world.ids[group] = made.json()["id"]
        for name, groups in PEOPLE.items():
            profile = {"login": f"{name}@example.com", "email": f"{name}@example.com",
                       "firstName": name.title(), "lastName": "Example"}  # fmt: skip
            made = api.post("/api/v1/users", params={"activate": "true"},
                            json={"profile": profile, "credentials": {"password": {"value": "Pw-12345678"}}})
            world.ids[name] = made.json()["id"]
            for group in groups:
                api.put(f"/api/v1/groups/{world.ids[group]}/users/{world.ids[name]}").raise_for_status()
    config = parse_config(text, name=str(path), base_dir=tmp_path, env=env)
    with Store.open(config.database) as store:
        report = asyncio.run(Engine(config, store).run(RunRequest("p", trigger="manual")))
    assert report.status.value == "succeeded", report.error
    return world


@contextlib.contextmanager
def serving(world: HookWorld, tmp_path: Path, *, register: bool = True) -> Iterator[HookWorld]:
    """`idsync serve` in its own process; with `register`, the hook registered, verified and
    activated through the Okta API by `idsync check --register-hooks`."""
    port = _free_port()
    world.log = tmp_path / "serve.log"
    with world.log.open("wb") as out:
        world.process = subprocess.Popen(
            [cli(), "serve", "--port", str(port), "--config", str(world.config)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=world.env,
        )  # fmt: skip
    world.url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert world.process.poll() is None, world.log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{world.url}/healthz", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"idsync serve did not answer:\n{world.log.read_text()}"
            time.sleep(0.1)
        if register:
            checked = world.idsync("check", "--json", "--register-hooks", world.url)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            (hook,) = json.loads(checked.stdout)["event_hooks"]
            assert hook["ready"] and hook["uri"] == world.hook_url, hook
            world.hook_id = hook["hook_id"]
        yield world
    finally:
        if world.process.poll() is None:
            world.process.kill()
            world.process.wait(timeout=10)
