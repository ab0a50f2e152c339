"""`schedule:` is validated at load (croniter parses the cron expression), and `idsync check` says when
`idsync serve` runs each scheduled profile next; `idsync sync` says nothing about schedules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from idsync.service.schedule import Schedule
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


def test_check_says_when_serve_runs_each_scheduled_profile_next(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), 'cron: "*/30 * * * *"')
    runner = CliRunner()

    before = datetime.now(UTC)
    checked = runner.invoke(app, ["check", "-c", str(path)], env=env)
    assert checked.exit_code == 0, checked.output
    note = re.search(r"note: profile 'nightly' \(cron '\*/30 \* \* \* \*' \(UTC\)\) runs next at "
                     r"(\S+ \S+) UTC under `idsync serve`", checked.stderr)  # fmt: skip
    assert note is not None, checked.stderr
    when = datetime.fromisoformat(note.group(1)).replace(tzinfo=UTC)
    schedule, after = Schedule("nightly", cron="*/30 * * * *"), datetime.now(UTC)
    assert when in {schedule.next_run(t).replace(microsecond=0) for t in (before, after)}
    assert "is not run by idsync yet" not in checked.stderr

    as_json = runner.invoke(app, ["check", "-c", str(path), "--json"], env=env)
    notices = json.loads(as_json.stdout)["notices"]
    assert notices[0].startswith("profile 'nightly' (cron '*/30 * * * *' (UTC)) runs next at ")

    synced = runner.invoke(app, ["sync", "nightly", "--dry-run", "-c", str(path)], env=env)
    assert synced.exit_code == 0, synced.output
    assert "schedule" not in synced.stderr and "idsync serve" not in synced.stderr


def test_an_interval_is_shown_with_its_next_slot(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), "interval: 15m")
    checked = CliRunner().invoke(app, ["check", "-c", str(path)], env=env)
    assert "note: profile 'nightly' (interval 15m) runs next at " in checked.stderr
    assert "systemd" not in checked.stderr and "crontab" not in checked.stderr


def test_a_malformed_cron_expression_is_a_config_error_naming_key_and_value(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    path, env = _write(tmp_path, okta_sandbox(users=5, groups=2), jira_sandbox(), 'cron: "61 * * * *"')
    checked = CliRunner().invoke(app, ["check", "-c", str(path)], env=env)
    assert checked.exit_code == 2
    assert "profiles.nightly.schedule" in checked.stderr
    assert "cron '61 * * * *' is not a valid cron expression" in checked.stderr
