"""`idsync undo RUN_ID` through the real CLI, against the Okta and Jira emulators: what it shows, what
it writes, and its exit status (0 undone, 1 an item refused, 2 usage, 3 refused by a guard)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from idsync.cli import app
from idsync.store import Store
from tests.engine.e2e import CONFIG, INCLUDE
from tests.fixtures.sandbox import RunningJira, RunningOkta

PASSWORD = {"password": {"value": "Sandbox-Passw0rd!"}}


@dataclass
class Cli:
    """A config file for the two emulators, and the CLI run against it."""

    config: Path
    env: dict[str, str]
    okta: RunningOkta
    jira: RunningJira

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, [*args, "-c", str(self.config)], env=self.env)

    def sync(self) -> str:
        """`idsync sync --yes --json`; the run's id."""
        result = self("sync", "--yes", "--json")
        assert result.exit_code == 0, result.output
        return str(json.loads(result.stdout)["run_id"])

    def jira_user(self, name: str) -> tuple[str, bool]:
        user = self.jira.sandbox.state.user_by_name(name)
        assert user is not None
        return user.display_name, user.active


World = Callable[..., tuple[Cli, str, str]]
"""Makes a CLI world: (the CLI, the id of the run to undo, the username whose display name it changed)."""


def make_cli(okta: RunningOkta, jira: RunningJira, tmp_path: Path, *, max_deactivations: int) -> Cli:
    config = tmp_path / "idsync.yaml"
    config.write_text(CONFIG.format(
        store_url=f"sqlite:///{tmp_path / 'idsync.db'}", okta_url=okta.url, include=INCLUDE,
        jira_url=jira.url,
        okta_extra="", jira_retries=2, max_deactivations=max_deactivations,
    ))  # fmt: skip
    return Cli(config, {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}, okta, jira)


@pytest.fixture
def cli_world(okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
              tmp_path: Path) -> World:
    """Factory: a first sync, then a run that creates `fresh` and renames someone's display name;
    returns the CLI, that run's id and the other person's username."""

    def make(max_deactivations: int = 100) -> tuple[Cli, str, str]:
        okta = okta_sandbox(users=30, groups=5, apps=0, seed=3)
        cli = make_cli(okta, jira_sandbox(users=0, projects=0), tmp_path, max_deactivations=max_deactivations)
        cli.sync()
        users = sorted(okta.sandbox.state.users.items())
        uid, user = next((uid, u) for uid, u in users if u.status == "ACTIVE")
        with okta.client() as api:
            profile = {"login": "fresh@example.com", "email": "fresh@example.com", "firstName": "Fresh",
                       "lastName": "Face", "displayName": "Fresh Face"}
            api.post("/api/v1/users", params={"activate": "true"},
                     json={"profile": profile, "credentials": PASSWORD}).raise_for_status()
            api.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "New Name"}}).raise_for_status()
        return cli, cli.sync(), str(user.profile["login"]).split("@")[0].lower()

    return make


def test_dry_run_shows_the_inverse_plan_and_writes_nothing(cli_world: World) -> None:
    cli, run_id, _ = cli_world()

    shown = cli("undo", run_id, "--dry-run")

    assert shown.exit_code == 0, shown.output
    assert f"Undo of run {run_id}" in shown.stdout
    assert "Deactivate users (1)" in shown.stdout and "fresh" in shown.stdout
    assert "Update users (1)" in shown.stdout and "'New Name'" in shown.stdout
    assert f"undo of run {run_id}: reverses its create_user of fresh" in " ".join(shown.stdout.split())
    assert cli.jira_user("fresh") == ("Fresh Face", True)
    data = json.loads(cli("undo", run_id, "--dry-run", "--json").stdout)
    assert (data["undo_of"], data["applied"], data["status"]) == (run_id, False, "planned")
    assert data["run_id"] is None


def test_undo_applies_and_an_item_changed_since_is_refused_with_exit_1(cli_world: World) -> None:
    cli, run_id, renamed = cli_world()
    with cli.jira.client() as jira:
        jira.put("/rest/api/2/user", params={"username": renamed},
                 json={"displayName": "By Hand"}).raise_for_status()

    result = cli("undo", run_id, "--yes", "--json")

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["applied"] is True and data["status"] == "succeeded"
    assert [r["detail"] for r in data["refusals"]] == [
        f"{renamed}'s display name is now 'By Hand', the run set 'New Name'"]
    assert cli.jira_user("fresh") == ("Fresh Face", False)
    assert cli.jira_user(renamed) == ("By Hand", True)
    history = json.loads(cli("history", str(data["run_id"]), "--json").stdout)
    assert (history["trigger"], history["undo_of"]) == ("undo", run_id)
    assert f"run {run_id}" in cli("history", str(data["run_id"])).stdout
    listed = json.loads(cli("history", "--trigger", "undo", "--json").stdout)
    assert [r["id"] for r in listed] == [data["run_id"]]

    shown = cli("undo", run_id, "--yes")
    assert shown.exit_code == 1
    text = " ".join(shown.stdout.split())
    assert "Not undone: changed since the run (1)" in text
    assert f"{renamed}'s display name is now 'By Hand', the run set 'New Name'" in text
    assert "nothing to undo" in text, "what the first undo did is already as before the run"


def test_a_guard_refuses_the_undo_with_exit_3_until_allowed(cli_world: World) -> None:
    cli, run_id, _ = cli_world(max_deactivations=0)

    refused = cli("undo", run_id, "--yes")

    assert refused.exit_code == 3, refused.output
    assert "safety.max_deactivations" in refused.output
    assert refused.output.count("exceed safety.max_deactivations") == 1
    assert cli.jira_user("fresh")[1] is True
    allowed = cli("undo", run_id, "--yes", "--allow-over-limit")
    assert allowed.exit_code == 0, allowed.output
    assert cli.jira_user("fresh")[1] is False


def test_an_unknown_or_unfinished_run_is_a_usage_error(cli_world: World, tmp_path: Path) -> None:
    cli, _, _ = cli_world()

    result = cli("undo", "20990101-000000000-beef")

    assert result.exit_code == 2
    assert "no run with id '20990101-000000000-beef'" in result.stderr
    with Store.open(f"sqlite:///{tmp_path / 'idsync.db'}") as store:
        going = store.start_run("p", "cli")
    unfinished = cli("undo", going)
    assert unfinished.exit_code == 2
    assert f"run {going!r} is still running" in " ".join(unfinished.stderr.split())
