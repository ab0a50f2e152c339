"""Plans end to end: a dry run shows exactly what the run then applies; a saved plan applies exactly, and
is refused once the target changed; the CLI's exit codes (0, 1, 3) — over HTTP against the emulators."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idsync.cli import app
from idsync.domain.errors import PlanStale
from idsync.engine.run import Engine, RunRequest
from idsync.store.records import RunStatus
from tests.engine.e2e import CONFIG, INCLUDE, World, make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
JiraFactory = Callable[..., RunningJira]


@pytest.fixture
def world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, tmp_path: Path) -> World:
    """Okta with 80 people, an empty Jira, a SQLite store."""
    return make_world(
        okta_sandbox(users=80, groups=10, apps=0, seed=4), jira_sandbox(users=0, projects=1),
        f"sqlite:///{tmp_path / 'idsync.db'}",
    )  # fmt: skip


def _engine(world: World) -> Engine:
    return Engine(world.config, world.store)


def test_dry_run_shows_exactly_the_plan_the_run_applies(world: World) -> None:
    dry = world.sync(dry_run=True)
    assert dry.status is RunStatus.PLANNED
    assert world.jira_writes() == Counter()
    assert world.store.runs("p") == [], "a preview is not a run"

    real = world.sync()

    assert dry.plan is not None
    assert real.plan is not None
    assert real.plan.items == dry.plan.items
    assert real.status is RunStatus.SUCCEEDED


def test_a_saved_plan_applies_exactly(world: World, tmp_path: Path) -> None:
    planned = asyncio.run(_engine(world).plan(RunRequest("p")))
    assert planned.plan is not None
    saved = tmp_path / "plan.json"
    saved.write_bytes(planned.plan.to_json())
    # a new person in Okta after the plan was made is NOT in the saved plan
    with world.okta_api() as okta:
        okta.post("/api/v1/users", params={"activate": "true"}, json={
            "profile": {"firstName": "Late", "lastName": "Comer", "email": "late.comer@example.com",
                        "login": "late.comer@example.com"},
            "credentials": {"password": {"value": "Passw0rd-Late-1"}},
        }).raise_for_status()  # fmt: skip

    from idsync.domain.plan import Plan

    report = asyncio.run(_engine(world).apply_saved(Plan.from_json(saved.read_bytes())))

    assert report.status is RunStatus.SUCCEEDED
    assert len(report.results) == len(planned.plan.items)
    assert world.jira.sandbox.state.user_by_name("late.comer") is None
    assert world.store.run(report.run_id or "").summary.trigger == "apply"


def test_a_saved_plan_is_refused_when_the_target_changed(world: World) -> None:
    world.sync()
    uid = next(u.id for u in world.okta.sandbox.state.users.values() if u.status == "ACTIVE")
    with world.okta_api() as okta:
        edit = {"profile": {"displayName": "Someone Else"}}
        okta.post(f"/api/v1/users/{uid}", json=edit).raise_for_status()
    planned = asyncio.run(_engine(world).plan(RunRequest("p")))
    assert planned.plan is not None
    assert len(planned.plan.items) == 1
    username = planned.plan.items[0].user or ""
    with world.jira.client() as jira:  # an admin edits that user in Jira meanwhile
        jira.put("/rest/api/2/user", params={"username": username}, json={"displayName": "Hand Edited"})

    with pytest.raises(PlanStale, match="changed since the plan was made"):
        asyncio.run(_engine(world).apply_saved(planned.plan))

    user = world.jira.sandbox.state.user_by_name(username)
    assert user is not None
    assert user.display_name == "Hand Edited"


def test_a_run_left_running_by_a_killed_process_is_closed_as_failed(world: World) -> None:
    stale = world.store.start_run("p", "cli")

    world.sync()

    assert world.store.run(stale).summary.status == RunStatus.FAILED


def _config_file(world: World, tmp_path: Path, max_deactivations: int) -> Path:
    text = CONFIG.format(
        store_url=f"sqlite:///{tmp_path / 'cli.db'}", okta_url=world.okta.url, jira_url=world.jira.url,
        okta_extra="", jira_retries=5, include=INCLUDE, max_deactivations=max_deactivations,
    )  # fmt: skip
    path = tmp_path / "idsync.yaml"
    path.write_text(text)
    return path


def test_cli_plan_apply_and_exit_codes(world: World, tmp_path: Path) -> None:
    config = _config_file(world, tmp_path, max_deactivations=2)
    env = {"OKTA_TOKEN": world.okta.token, "JIRA_TOKEN": world.jira.token}
    runner = CliRunner()
    plan_file = tmp_path / "plan.json"

    planned = runner.invoke(app, ["plan", "-c", str(config), "--out", str(plan_file)], env=env)
    assert planned.exit_code == 0, planned.output
    assert "to create" in planned.stdout
    applied = runner.invoke(app, ["apply", str(plan_file), "-c", str(config), "--yes", "--json"], env=env)
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["status"] == "succeeded"

    active = [u.id for u in sorted(world.okta.sandbox.state.users.values(), key=lambda u: u.id)
              if u.status == "ACTIVE"]  # fmt: skip
    with world.okta_api() as okta:
        for uid in active[:3]:
            okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    refused = runner.invoke(app, ["sync", "-c", str(config), "--yes"], env=env)
    assert refused.exit_code == 3
    assert "max_deactivations" in refused.stderr
    assert "--allow-over-limit" in refused.stderr
    assert world.okta.token not in refused.output
    assert world.jira.token not in refused.output

    args = ["sync", "-c", str(config), "--yes", "--allow-over-limit", "--json"]
    allowed = runner.invoke(app, args, env=env)
    assert allowed.exit_code == 0, allowed.output

    history = runner.invoke(app, ["history", "-c", str(config), "--json"], env=env)
    statuses = [run["status"] for run in json.loads(history.stdout)]
    assert statuses == ["succeeded", "refused", "succeeded"]


def test_cli_exit_1_when_items_fail(world: World, tmp_path: Path) -> None:
    config = _config_file(world, tmp_path, max_deactivations=50)
    config.write_text(config.read_text().replace("retries: 5", "retries: 0"))
    world.jira.sandbox.control.faults.update({"write_fail_rate": 0.2})
    env = {"OKTA_TOKEN": world.okta.token, "JIRA_TOKEN": world.jira.token}

    result = CliRunner().invoke(app, ["sync", "-c", str(config), "--yes"], env=env)

    assert result.exit_code == 1
    assert "failed" in result.stdout.lower()
