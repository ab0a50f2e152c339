"""`schedule:` is validated at load (croniter parses the cron expression) and, since no scheduler runs
it yet, `idsync check` and `idsync sync` say so and how to run the profile from cron instead."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira}, token: "${{JIRA_TOKEN}}"}}
profiles:
  nightly:
    source: okta
    targets: [jira]
    schedule: {{{schedule}}}
"""


def _write(
    tmp_path: Path, okta: RunningOkta, jira: RunningJira, schedule: str
) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "idsync.db", okta=okta.url, jira=jira.url, schedule=schedule))
    return path, {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}


def test_check_and_sync_say_the_schedule_is_not_run_and_how_to_run_it(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), 'cron: "*/30 * * * *"')
    runner = CliRunner()

    checked = runner.invoke(app, ["check", "-c", str(path)], env=env)
    assert checked.exit_code == 0, checked.output
    assert "profile 'nightly': schedule (cron '*/30 * * * *') is not run by idsync yet" in checked.stderr
    assert f"add to crontab: */30 * * * * idsync sync nightly --yes --config {path}" in checked.stderr

    as_json = runner.invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert json.loads(as_json.stdout)["notices"][0].startswith("profile 'nightly': schedule")

    synced = runner.invoke(app, ["sync", "nightly", "--dry-run", "-c", str(path)], env=env)
    assert synced.exit_code == 0, synced.output
    assert "is not run by idsync yet" in synced.stderr


def test_an_interval_gets_a_systemd_timer_hint(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), "interval: 15m")
    checked = CliRunner().invoke(app, ["check", "-c", str(path)], env=env)
    assert "a systemd timer with OnUnitActiveSec=15m running: idsync sync nightly --yes" in checked.stderr


def test_a_malformed_cron_expression_is_a_config_error_naming_key_and_value(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), 'cron: "61 * * * *"')
    checked = CliRunner().invoke(app, ["check", "-c", str(path)], env=env)
    assert checked.exit_code == 2
    assert "profiles.nightly.schedule" in checked.stderr
    assert "cron '61 * * * *' is not a valid cron expression" in checked.stderr
