"""Known secret values through the commands of a whole sync day — check, plan, sync, a change, a failed
run with a wrong token, history, a user lookup, a SCIM token and an API token issued — and then a grep of
everything idsync printed (stdout and stderr, where its logs go) and of every byte of its SQLite
database for them: no hit. Issued tokens may appear only where the command prints them once, on
purpose; their hashes are in the store, never the tokens."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.sandbox import RunningJira, RunningOkta

OKTA_TOKEN = "00OKTA-secret-7Hq2LmZp9xWv4Rt"
JIRA_TOKEN = "JIRA-secret-pat-Yb3Nc8Kd1Fg6"
WRONG_TOKEN = "WRONG-secret-pat-Qs5Tu0Vw2Xy"

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira}, token: "${{JIRA_TOKEN}}", retries: 0}}
  inbox: {{type: scim_inbound}}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
"""


def test_no_secret_in_any_output_or_the_database(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:
    okta = okta_sandbox(users=12, groups=4, seed=2, token=OKTA_TOKEN)
    jira = jira_sandbox(users=0, token=JIRA_TOKEN)
    db = tmp_path / "idsync.db"
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(db=db, okta=okta.url, jira=jira.url))
    env = {"OKTA_TOKEN": OKTA_TOKEN, "JIRA_TOKEN": JIRA_TOKEN}
    runner = CliRunner()
    printed: list[str] = []

    def run(*args: str, environment: dict[str, str] = env, status: int = 0) -> str:
        result = runner.invoke(app, [*args, "-c", str(path)], env=environment)
        printed.append(result.stdout + result.stderr)
        assert result.exit_code == status, (args, result.exit_code, result.exception)
        return result.stdout

    run("check")
    run("check", "--json")
    run("plan", "p")
    assert "created" in run("sync", "p", "--yes").lower() or jira.sandbox.state.users
    uid = sorted(okta.sandbox.state.users)[0]
    with okta.client() as http:
        http.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Changed Name"}})
    run("sync", "p", "--yes", "--json")
    run("sync", "p", "--yes", environment={**env, "JIRA_TOKEN": WRONG_TOKEN}, status=1)
    assert "401" in printed[-1], printed[-1][-300:]  # it did fail on the wrong token, and said so
    run("check", environment={**env, "JIRA_TOKEN": WRONG_TOKEN}, status=1)
    for shown in (run("history"), run("history", "--json")):
        assert shown
    runs = json.loads(run("history", "--json"))
    for entry in runs["runs"] if isinstance(runs, dict) else runs:
        run("history", entry["id"], "--json")
    login = str(okta.sandbox.state.users[uid].profile["login"])
    run("user", "lookup", "okta", login)
    scim = run("scim", "token", "inbox")
    api = run("api", "token", "create", "grep-test")
    issued = [line.strip() for line in (scim + api).splitlines() if len(line.strip()) >= 32 and " " not in
              line.strip()]
    assert issued, "the issued tokens are printed once, on their own line"

    everything = "\n".join(printed[:-2])  # the last two printed the issued tokens on purpose
    stored = db.read_bytes()
    for secret in (OKTA_TOKEN, JIRA_TOKEN, WRONG_TOKEN):
        assert secret not in everything, f"a secret was printed ({secret[:6]}…)"
        assert secret.encode() not in stored, f"a secret is in the database ({secret[:6]}…)"
    for token in issued:
        assert token.encode() not in stored, "an issued token is stored instead of its hash"
        assert token not in everything


SCIM_PASSWORD = "P4ss-secret-pushed-by-the-IdP-9Lk"
ADMIN_PASSWORD = "admin-secret-password-Zx81"


def test_no_secret_in_the_servers_log_or_the_database(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:
    """`idsync serve` with the same config: the REST API with an issued token (a plan, its apply, the
    runs), a SCIM push that carries a password (as IdPs send one), wrong credentials, an admin logging
    in to the UI; then everything the server logged and the database's bytes are grepped."""
    okta = okta_sandbox(users=6, groups=2, seed=4, token=OKTA_TOKEN)
    jira = jira_sandbox(users=0, token=JIRA_TOKEN)
    db = tmp_path / "idsync.db"
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(db=db, okta=okta.url, jira=jira.url))
    env = {**os.environ, "OKTA_TOKEN": OKTA_TOKEN, "JIRA_TOKEN": JIRA_TOKEN}
    cli = shutil.which("idsync", path=str(Path(sys.executable).parent)) or "idsync"
    subprocess.run([cli, "admin", "add", "ada", "--password-stdin", "-c", str(path)], input=ADMIN_PASSWORD,
                   text=True, env=env, check=True, capture_output=True)
    api_token = subprocess.run([cli, "api", "token", "create", "grep", "-c", str(path)], text=True, env=env,
                               check=True, capture_output=True).stdout.strip().splitlines()[-1]
    scim_token = subprocess.run([cli, "scim", "token", "inbox", "-c", str(path)], text=True, env=env,
                                check=True, capture_output=True).stdout.strip().splitlines()[-1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([cli, "serve", "--port", str(port), "-c", str(path)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {api_token}"},
                           timeout=60)
        plan = api.post("/plans", json={"profile": "p"})
        assert plan.status_code == 201, plan.text
        applied = api.post(f"/plans/{plan.json()['id']}/apply", json={})
        assert applied.status_code < 300, applied.text
        assert api.get("/runs").status_code == 200
        wrong = {"Authorization": f"Bearer {WRONG_TOKEN}"}
        assert httpx.get(f"{base}/api/v1/runs", headers=wrong).status_code == 401
        user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "pushed@example.com",
                "password": SCIM_PASSWORD, "active": True,
                "emails": [{"value": "pushed@example.com", "primary": True}]}
        pushed = httpx.post(f"{base}/scim/v2/inbox/Users", json=user,
                            headers={"Authorization": f"Bearer {scim_token}"})
        assert pushed.status_code == 201, pushed.text
        assert SCIM_PASSWORD not in pushed.text
        assert httpx.post(f"{base}/scim/v2/inbox/Users", json=user,
                          headers={"Authorization": f"Bearer {WRONG_TOKEN}"}).status_code == 401
        ui = httpx.Client(base_url=f"{base}/ui", timeout=30, follow_redirects=True)
        login = ui.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf, "the login form carries its CSRF token"
        ui.post("/login", data={"name": "ada", "password": ADMIN_PASSWORD, "csrf_token": csrf.group(1)})
        overview = ui.get("/")
        assert "Overview" in overview.text and ADMIN_PASSWORD not in overview.text  # logged in
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    logged = log.read_text()
    assert logged, "the server logged"
    stored = db.read_bytes()
    for secret in (OKTA_TOKEN, JIRA_TOKEN, WRONG_TOKEN, api_token, scim_token, SCIM_PASSWORD, ADMIN_PASSWORD):
        assert secret not in logged, f"a secret is in the server's log ({secret[:6]}…)"
        assert secret.encode() not in stored, f"a secret is in the database ({secret[:6]}…)"
