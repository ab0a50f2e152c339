"""`idsync init` writes a config that `idsync check` then validates (and reports bad keys with exit 2)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from idsync.config.loader import load_config


def test_init_writes_the_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "idsync.yaml"
    runner = CliRunner()

    first = runner.invoke(app, ["init", str(path)])
    again = runner.invoke(app, ["init", str(path)])

    assert first.exit_code == 0
    assert "profiles:" in path.read_text()
    assert again.exit_code == 2
    assert "--force" in again.stderr


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "idsync.yaml"

    result = CliRunner().invoke(app, ["init", str(path)])
    config = load_config(path, {"OKTA_TOKEN": "x" * 20, "JIRA_PAT": "y" * 20})

    assert result.exit_code == 0, result.output
    assert set(config.connections) == {"okta-prod", "jira"}
    assert config.profiles["okta-to-jira"].targets == ["jira"]


def test_check_reports_a_misspelt_key_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "idsync.yaml"
    CliRunner().invoke(app, ["init", str(path)])
    path.write_text(path.read_text().replace("max_deactivations:", "max_deactivation:"))

    result = CliRunner().invoke(
        app, ["check", "-c", str(path)], env={"OKTA_TOKEN": "x" * 20, "JIRA_PAT": "y" * 20}
    )

    assert result.exit_code == 2
    assert "max_deactivation" in result.stderr
    assert "did you mean 'max_deactivations'" in result.stderr
    assert "x" * 20 not in result.output


def test_history_needs_only_the_database(tmp_path: Path) -> None:
    path = tmp_path / "idsync.yaml"
    CliRunner().invoke(app, ["init", str(path)])

    # the example's ${OKTA_TOKEN} / ${JIRA_PAT} are not set: history does not need them
    result = CliRunner().invoke(app, ["history", "-c", str(path)], env={"OKTA_TOKEN": None, "JIRA_PAT": None})

    assert result.exit_code == 0, result.output
    assert "No runs recorded yet." in result.stdout
    assert (tmp_path / "idsync.db").exists(), "the relative SQLite path is anchored at the config's folder"
