"""A profile with an `atlassian_cloud` target through the command line: `idsync check` says what the
directory supports (and names a custom attribute it lacks), `idsync plan` shows the plan, `idsync
sync` provisions the Okta emulator's people into the Cloud emulator, and a second sync writes
nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.cloud import CloudFactory, RunningCloud
from tests.fixtures.sandbox import RunningOkta

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  cloud: {{type: atlassian_cloud, url: {cloud}, token: "${{CLOUD_KEY}}"}}
profiles:
  p:
    source: okta
    targets: [cloud]
    users:
      username: {{attribute: email}}
      custom_attributes:
        "{attribute}": department
    groups: {{mode: on_the_fly, include: ["^team-", "^Engineering$"]}}
    safety: {{max_deactivations: 1000, max_deactivation_percent: 100, max_membership_removals: 100000}}
"""


def _setup(
    tmp_path: Path, okta: RunningOkta, cloud: RunningCloud, attribute: str
) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "idsync.yaml"
    text = CONFIG.format(db=tmp_path / "idsync.db", okta=okta.url, cloud=cloud.url, attribute=attribute)
    path.write_text(text)
    return path, {"OKTA_TOKEN": okta.token, "CLOUD_KEY": cloud.token}


def test_check_plan_sync_and_a_quiet_resync(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory
) -> None:
    okta, cloud = okta_sandbox(users=30, groups=20, seed=3), cloud_sandbox(users=0)
    path, env = _setup(tmp_path, okta, cloud, f"{ENTERPRISE}:department")
    runner = CliRunner()

    checked = runner.invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert checked.exit_code == 0, checked.output
    row = next(c for c in json.loads(checked.stdout)["connections"] if c["name"] == "cloud")
    assert row["ok"] and row["detail"].startswith(f"Atlassian Cloud at {cloud.url}: PATCH")

    planned = runner.invoke(app, ["plan", "p", "-c", str(path), "--json"], env=env)
    assert planned.exit_code == 0, planned.output
    assert cloud.writes() == {}

    synced = runner.invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)
    assert synced.exit_code == 0, synced.output
    body = json.loads(synced.stdout)
    assert body["status"] == "succeeded", body
    people = [u for u in okta.sandbox.state.users.values() if u.status == "ACTIVE"]
    with cloud.client() as http:
        listed = http.get("Users", params={"count": 100}).json()
    by_name = {r["userName"].lower(): r for r in listed["Resources"]}
    for person in people:
        resource = by_name[str(person.profile["email"]).lower()]
        assert resource["externalId"] == person.id
        assert resource[ENTERPRISE]["department"] == person.profile["department"]

    before = cloud.writes()
    again = runner.invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "no_changes"
    assert cloud.writes() == before


def test_check_names_a_custom_attribute_the_directory_lacks(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory
) -> None:
    okta, cloud = okta_sandbox(users=2, groups=1), cloud_sandbox(users=0)
    path, env = _setup(tmp_path, okta, cloud, f"{ENTERPRISE}:shoeSize")
    checked = CliRunner().invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert checked.exit_code == 1, checked.output
    row = next(c for c in json.loads(checked.stdout)["connections"] if c["name"] == "cloud")
    assert not row["ok"]
    assert f"'{ENTERPRISE}:shoeSize' is not a custom attribute" in row["detail"]
    assert f"{ENTERPRISE}:department" in row["detail"]  # the valid ones are listed


def test_plan_refuses_a_custom_attribute_the_directory_lacks(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory
) -> None:
    okta, cloud = okta_sandbox(users=2, groups=1), cloud_sandbox(users=0)
    path, env = _setup(tmp_path, okta, cloud, f"{ENTERPRISE}:shoeSize")
    # a real process: the in-process runner's logging would print to a stream an earlier invoke closed
    planned = subprocess.run([_cli(), "plan", "p", "-c", str(path)], env={**os.environ, **env},
                             capture_output=True, text=True, timeout=120, check=False)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert f"'{ENTERPRISE}:shoeSize' is not a custom attribute" in planned.stdout + planned.stderr


def _cli() -> str:
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    assert found, "the idsync console script is not installed in this environment"
    return found
