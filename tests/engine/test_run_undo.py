"""Undo end to end over HTTP: the sandbox Okta → idsync → the sandbox Jira with a real store (SQLite
and PostgreSQL). A run that created, renamed, updated, set properties, handed over a lead,
deactivated, created a group and changed memberships is undone exactly: the whole Jira state (users
with their fields, properties and active flag, groups with members, project leads) equals the state
before the run, with the created users deactivated; an item changed since is refused and named; an
undo of the undo restores the run's result."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from idsync.domain.errors import PlanStale
from idsync.domain.plan import Action
from idsync.engine.run import RunReport
from idsync.service.context import Context
from idsync.service.undo import UndoResult, apply_undo, prepare_undo
from idsync.store.records import RunStatus
from tests.engine.e2e import World, make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
PASSWORD = {"password": {"value": "Sandbox-Passw0rd!"}}
JiraFactory = Callable[..., RunningJira]


def jira_state(world: World) -> dict[str, Any]:
    """Everything the Jira emulator holds that a sync touches, by immutable key: users (name, e-mail,
    display name, active, properties), groups with their members' keys, project and component leads."""
    state = world.jira.sandbox.state
    return copy.deepcopy({
        "users": {k: (u.name, u.email, u.display_name, u.active, u.properties)
                  for k, u in state.users.items()},
        "groups": {name: sorted(group.members) for name, group in state.groups.items()},
        "projects": {key: project.lead for key, project in state.projects.items()},
        "components": {cid: component.lead for cid, component in state.components.items()},
    })  # fmt: skip


@dataclass
class Scenario:
    """The people the run changes, by Okta id and Jira username."""

    created: str
    """Okta id of the person the run creates."""
    updated: str
    """Jira username whose display name and department the run changes."""
    renamed: str
    lead: str
    """The project lead the run deactivates (the lead is handed over to admin first)."""
    new_group: str


@pytest.fixture
def world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str) -> World:
    """150 generated Okta people in 16 groups, synced once into a Jira with two projects."""
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    world = make_world(okta, jira_sandbox(users=0, projects=2, seed=11), store_url)
    assert world.sync().status is RunStatus.SUCCEEDED
    return world


def _team_members(world: World) -> list[tuple[str, str, str]]:
    """(okta id, jira username, group id) of active members of managed groups, one per person."""
    state = world.okta.sandbox.state
    seen: dict[str, tuple[str, str, str]] = {}
    for group_id, group in sorted(state.groups.items()):
        if not group.profile["name"].startswith("team-"):
            continue
        for uid in sorted(state.members[group_id]):
            if state.users[uid].status == "ACTIVE":
                seen.setdefault(uid, (uid, world.okta_username(uid), group_id))
    return list(seen.values())


def change_okta(world: World) -> Scenario:
    """What happens in Okta between the two syncs: one of every kind of change a run makes."""
    people = _team_members(world)
    (up_id, updated, _), (ren_id, renamed, _), (lead_id, lead, _), (rm_id, _, rm_group) = people[:4]
    add_id = people[4][0]
    state = world.okta.sandbox.state
    add_group = next(g for g in sorted(state.groups) if state.groups[g].profile["name"].startswith("team-")
                     and add_id not in state.members[g])
    project = sorted(world.jira.sandbox.state.projects)[0]
    with world.jira.client() as jira:
        jira.put(f"/rest/api/2/project/{project}", json={"lead": lead}).raise_for_status()
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{up_id}", json={"profile": {"displayName": "Renamed Person",
                                                              "department": "Undo-Dept"}}).raise_for_status()
        okta.post(f"/api/v1/users/{ren_id}",
                  json={"profile": {"login": "moved.on@example.com"}}).raise_for_status()
        okta.post(f"/api/v1/users/{lead_id}/lifecycle/suspend").raise_for_status()
        okta.delete(f"/api/v1/groups/{rm_group}/users/{rm_id}").raise_for_status()
        okta.put(f"/api/v1/groups/{add_group}/users/{add_id}").raise_for_status()
        profile = {"login": "fresh.face@example.com", "email": "fresh.face@example.com", "firstName": "Fresh",
                   "lastName": "Face", "displayName": "Fresh Face", "department": "Eng"}
        made = okta.post("/api/v1/users", params={"activate": "true"},
                         json={"profile": profile, "credentials": PASSWORD})
        made.raise_for_status()
        group = okta.post("/api/v1/groups", json={"profile": {"name": "team-after-undo"}})
        group.raise_for_status()
        okta.put(f"/api/v1/groups/{group.json()['id']}/users/{made.json()['id']}").raise_for_status()
        okta.put(f"/api/v1/groups/{add_group}/users/{made.json()['id']}").raise_for_status()
    return Scenario(made.json()["id"], updated, renamed, lead, "team-after-undo")


def undo(world: World, run_id: str) -> UndoResult:
    """`idsync undo RUN_ID --yes` through the service layer."""
    ctx = Context(world.config, world.store)
    prepared = asyncio.run(prepare_undo(ctx, run_id))
    return asyncio.run(apply_undo(ctx, prepared))


def the_run(world: World) -> RunReport:
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    counts = report.plan.counts()
    for action in (Action.CREATE_USER, Action.RENAME_USER, Action.UPDATE_USER, Action.SET_USER_PROPERTY,
                   Action.HAND_OVER_LEAD, Action.DEACTIVATE_USER, Action.CREATE_GROUP, Action.ADD_MEMBER,
                   Action.REMOVE_MEMBER):
        assert counts[action] >= 1, f"the run has no {action}: {counts}"
    return report


def created_key(world: World, okta_id: str) -> str:
    return world.store.links("p", "jira")[okta_id].target_key


def test_a_run_is_undone_exactly_and_the_undo_of_the_undo_restores_its_result(world: World) -> None:
    scenario = change_okta(world)
    before = jira_state(world)
    run = the_run(world)
    after_run = jira_state(world)
    key = created_key(world, scenario.created)
    assert key not in before["users"] and after_run["users"][key][3] is True
    assert {k: u for k, u in after_run["users"].items() if k != key} != before["users"]
    assert after_run["projects"] != before["projects"]

    undone = undo(world, str(run.run_id))

    assert undone.exit_code == 0, undone.to_dict()
    assert undone.prepared.refusals == ()
    assert undone.applied is not None and undone.applied.status is RunStatus.SUCCEEDED
    expected = copy.deepcopy(before)
    name, email, display, _, _ = after_run["users"][key]
    expected["users"][key] = (name, email, display, False, {})  # created: deactivated, not deleted
    expected["groups"][scenario.new_group] = []  # a group the run created stays, emptied
    assert jira_state(world) == expected
    link = world.store.links("p", "jira")[scenario.created]
    assert (link.target_key, link.active) == (key, False), "a created user stays linked, inactive"
    recorded = world.store.run(str(undone.applied.run_id))
    assert (recorded.summary.trigger, recorded.undo_of) == ("undo", run.run_id)
    assert any(note.startswith(f"undo of run {run.run_id}") for note in recorded.notes)

    again = undo(world, str(undone.applied.run_id))

    assert again.exit_code == 0, again.to_dict()
    assert jira_state(world) == after_run
    assert world.store.links("p", "jira")[scenario.created].active


def test_an_item_changed_since_the_run_is_refused_and_named_and_the_rest_undone(world: World) -> None:
    scenario = change_okta(world)
    before = jira_state(world)
    run = the_run(world)
    with world.jira.client() as jira:
        jira.put("/rest/api/2/user", params={"username": scenario.updated},
                 json={"displayName": "Changed By Hand"}).raise_for_status()
    world.reset_counters()

    undone = undo(world, str(run.run_id))

    assert undone.exit_code == 1
    (refusal,) = undone.prepared.refusals
    assert (refusal.action, refusal.subject) == (Action.UPDATE_USER, scenario.updated)
    assert refusal.detail == (f"{scenario.updated}'s display name is now 'Changed By Hand', "
                              "the run set 'Renamed Person'")
    assert any(n.startswith("not undone: ") and scenario.updated in n for n in undone.prepared.plan.notes)
    now = jira_state(world)
    key = next(k for k, u in now["users"].items() if u[0] == scenario.updated)
    assert now["users"][key][2] == "Changed By Hand", "the change made since is kept"
    assert now["users"][key][4] == before["users"][key][4], "the property set by the run is undone"
    now["users"][key] = before["users"][key]
    created = created_key(world, scenario.created)
    assert now["users"].pop(created)[3] is False
    assert now["groups"].pop(scenario.new_group) == []
    assert now == before
    assert world.jira_writes()["PUT /rest/api/2/user"] >= 3  # the rename, the reactivation, the deactivation


def test_a_target_changed_between_the_preview_and_the_apply_refuses_the_whole_undo(world: World) -> None:
    scenario = change_okta(world)
    run = the_run(world)
    ctx = Context(world.config, world.store)
    prepared = asyncio.run(prepare_undo(ctx, str(run.run_id)))
    with world.jira.client() as jira:
        jira.put("/rest/api/2/user", params={"username": scenario.updated},
                 json={"displayName": "Changed Meanwhile"}).raise_for_status()
    world.reset_counters()

    with pytest.raises(PlanStale, match=rf"run `idsync undo {run.run_id}` again"):
        asyncio.run(apply_undo(ctx, prepared))

    assert world.jira_writes() == Counter()


def test_undoing_a_run_twice_finds_nothing_left_to_undo(world: World) -> None:
    change_okta(world)
    run = the_run(world)
    assert undo(world, str(run.run_id)).exit_code == 0
    runs = len(world.store.runs("p", 100))

    second = undo(world, str(run.run_id))

    assert second.applied is None and second.exit_code == 0
    assert second.prepared.plan.empty and second.prepared.report.status is RunStatus.NO_CHANGES
    assert any("nothing to undo" in note for note in second.prepared.plan.notes)
    assert len(world.store.runs("p", 100)) == runs, "nothing to apply records no run"
