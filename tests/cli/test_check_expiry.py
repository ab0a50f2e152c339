"""`expires_at`: `idsync check` warns before a connection's credential expires (exit 0, naming it) and
fails after (exit 1, with the date); every run records the days left in its notes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  jira:
    type: jira
    url: {jira}
    token: "${{JIRA_TOKEN}}"
    expires_at: {expires}
profiles:
  p:
    source: okta
    targets: [jira]
"""


def _setup(
    tmp_path: Path, okta: RunningOkta, jira: RunningJira, days: int
) -> tuple[Path, dict[str, str], str]:
    expires = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "idsync.db", okta=okta.url, jira=jira.url, expires=expires))
    return path, {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}, expires


def test_ten_days_ahead_warns_names_the_connection_and_exits_0(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:
    path, env, expires = _setup(tmp_path, okta_sandbox(users=2, groups=1), jira_sandbox(users=0), 10)
    result = CliRunner().invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    warning = f"connection 'jira': its credential expires on {expires}, in 10 days (expires_at)"
    assert warning in body["notices"]
    assert all(c["ok"] for c in body["connections"])

    human = CliRunner().invoke(app, ["check", "-c", str(path)], env=env)
    assert human.exit_code == 0 and "in 10 days" in human.output


def test_a_date_in_the_past_fails_with_the_date_and_exit_1(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:
    path, env, expires = _setup(tmp_path, okta_sandbox(users=2, groups=1), jira_sandbox(users=0), -3)
    result = CliRunner().invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert result.exit_code == 1, result.output
    row = next(c for c in json.loads(result.stdout)["connections"] if c["name"] == "jira")
    assert not row["ok"]
    assert f"expired on {expires} (3 days ago, expires_at)" in row["detail"]


def test_every_run_records_the_days_left(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
) -> None:
    path, env, expires = _setup(tmp_path, okta_sandbox(users=2, groups=1), jira_sandbox(users=0), 200)
    synced = CliRunner().invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)
    assert synced.exit_code == 0, synced.output
    run_id = json.loads(synced.stdout)["run_id"]
    shown = CliRunner().invoke(app, ["history", run_id, "-c", str(path), "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"connection 'jira': its credential expires on {expires}, in 200 days (expires_at)" \
        in json.loads(shown.stdout)["notes"]
