"""Licence seats end to end: the sandbox Okta → `idsync sync` → the sandbox Jira, whose Jira Software
role has a few seats. 8 new people and 5 seats left: refused naming 8 and 5 (exit 3); with
`safety.over_seats: hold_new_users` 5 are created, 3 are reported held (plan, --json, history) and
everything else applies; a returning (reactivated) user needs a seat too."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idsync.cli import app
from idsync.domain.plan import Action, Outcome
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store.records import RunStatus
from tests.engine.okta_world import load_config
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
JiraFactory = Callable[..., RunningJira]
NAMES = ["hal", "ann", "gus", "bob", "fay", "cid", "eve", "dan"]
CONFIG = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira_url}, token: "${{JIRA_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
      include: ["{include}"]
      default_groups: {{new_users: [jira-software-users]}}
    safety:
      max_deactivation_percent: 100
      protected_users: [admin]
      over_seats: {over_seats}
"""


def _person(okta: RunningOkta, name: str, group_id: str | None = None) -> str:
    with okta.client() as http:
        created = http.post("/api/v1/users", params={"activate": "true"}, json={
            "profile": {"login": f"{name}@corp.example", "email": f"{name}@corp.example",
                        "firstName": name.title(), "lastName": "Tester"},
            "credentials": {"password": {"value": "Tr0ub4dor-and-3"}}})
        assert created.status_code == 200, created.text
        uid = str(created.json()["id"])
        if group_id is not None:
            assert http.put(f"/api/v1/groups/{group_id}/users/{uid}").status_code == 204
    return uid


def _team(okta: RunningOkta) -> str:
    with okta.client() as http:
        made = http.post("/api/v1/groups", json={"profile": {"name": "team-seats", "description": "x"}})
        assert made.status_code == 200, made.text
        return str(made.json()["id"])


def _write(
    tmp_path: Path, okta: RunningOkta, jira: RunningJira, over_seats: str
) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(store_url=f"sqlite:///{tmp_path / 'idsync.db'}", okta_url=okta.url,
                                  jira_url=jira.url, include="^team-", over_seats=over_seats))
    return path, {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}


def _eight_new(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory) -> tuple[RunningOkta, RunningJira]:
    okta, jira = okta_sandbox(), jira_sandbox(licensed_users=6)  # the admin holds one: 5 left
    team = _team(okta)
    for name in NAMES:
        _person(okta, name, team)
    return okta, jira


def test_eight_new_users_and_five_seats_left_is_refused_naming_both(
    tmp_path: Path, okta_sandbox: OktaFactory, jira_sandbox: JiraFactory
) -> None:
    okta, jira = _eight_new(okta_sandbox, jira_sandbox)
    path, env = _write(tmp_path, okta, jira, "refuse")

    refused = CliRunner().invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)

    assert refused.exit_code == 3, refused.output
    out = json.loads(refused.stdout)
    assert out["status"] == "refused"
    assert "gives 8 users a seat of licence 'Jira Software'" in out["error"]
    assert "which has 5 seats left" in out["error"] and "--allow-over-limit" in out["error"]
    assert out["plan"]["seats"] == [{"target": "jira", "licence": "jira-software", "name": "Jira Software",
                                     "needed": 8, "left": 5, "users": sorted(NAMES)}]
    assert {u.name for u in jira.sandbox.state.users.values()} == {"admin"}, "nothing written"


def test_hold_new_users_creates_five_holds_three_and_applies_the_rest(
    tmp_path: Path, okta_sandbox: OktaFactory, jira_sandbox: JiraFactory
) -> None:
    okta, jira = _eight_new(okta_sandbox, jira_sandbox)
    path, env = _write(tmp_path, okta, jira, "hold_new_users")
    runner = CliRunner()

    synced = runner.invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)

    assert synced.exit_code == 0, synced.output
    out = json.loads(synced.stdout)
    assert out["status"] == "succeeded"
    held = [(h["user"], h["licences"], h["items"]) for h in out["plan"]["held_users"]]
    # each held user: the creation and two memberships (the team and the default group)
    assert held == [(name, ["jira-software"], 3) for name in ("fay", "gus", "hal")]
    state = jira.sandbox.state
    assert {u.name for u in state.users.values()} == {"admin", "ann", "bob", "cid", "dan", "eve"}
    assert state.group("team-seats") is not None, "the group is created: the rest applies"
    members = {state.users[k].name for k in state.group("team-seats").members}
    assert members == {"ann", "bob", "cid", "dan", "eve"}
    assert state.roles["jira-software"].seats == 6
    history = runner.invoke(app, ["history", out["run_id"], "-c", str(path), "--json"], env=env)
    notes = json.loads(history.stdout)["notes"]
    assert any("3 users held back in jira" in n and "fay, gus, hal" in n for n in notes), notes

    # a seat frees up: the next run creates the first held user only, and still holds two
    with jira.client() as http:
        off = http.put("/rest/api/2/user", params={"username": "eve"}, json={"active": False})
        assert off.status_code == 200
    again = runner.invoke(app, ["sync", "p", "-c", str(path), "--yes", "--json"], env=env)
    second = json.loads(again.stdout)
    assert [h["user"] for h in second["plan"]["held_users"]] == ["gus", "hal"]
    assert state.user_by_name("fay") is not None and state.user_by_name("gus") is None


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_returning_user_who_needs_a_seat_counts(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta, jira = okta_sandbox(), jira_sandbox(licensed_users=3)  # admin + 2
    _person(okta, "ann")
    bob = _person(okta, "bob")
    config, store = load_config(CONFIG, okta, store_url, {"JIRA_TOKEN": jira.token}, jira_url=jira.url,
                                over_seats="refuse")

    def sync() -> RunReport:
        return asyncio.run(Engine(config, store).run(RunRequest("p")))

    with store:
        first = sync()
        assert first.status is RunStatus.SUCCEEDED, first.error
        with okta.client() as http:
            assert http.post(f"/api/v1/users/{bob}/lifecycle/suspend").status_code == 200
        gone = sync()
        assert [(i.action, i.user) for i in gone.plan.items] == [(Action.DEACTIVATE_USER, "bob")]
        assert jira.sandbox.state.user_by_name("bob").active is False
        # bob returns and cid is new: two seats, one left (bob's own, freed by his deactivation)
        with okta.client() as http:
            assert http.post(f"/api/v1/users/{bob}/lifecycle/unsuspend").status_code == 200
        _person(okta, "cid")
        refused = sync()
        assert refused.status is RunStatus.REFUSED
        assert [(c.needed, c.left, c.users) for c in refused.plan.seats] == [(2, 1, ("bob", "cid"))]
        assert "gives 2 users a seat" in (refused.error or "") and "1 seat left" in (refused.error or "")
        assert all(r.outcome is Outcome.APPLIED for r in first.results)
