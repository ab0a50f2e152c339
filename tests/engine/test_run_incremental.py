"""Incremental runs, Okta → Jira over HTTP: between full reads a run reads only the Okta users changed
since the last read and only the Jira groups whose wanted members changed, yet plans exactly what a
full read would; a deletion shows at the next full read; a failed incremental read changes nothing,
not even the stored snapshot."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.engine.e2e import CONFIG, World, make_world
from tests.engine.okta_world import load_config
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
JiraFactory = Callable[..., RunningJira]

HIRES = itertools.count()
CHANGES = ("rename", "department", "suspend", "unsuspend", "deactivate", "join", "leave", "hire")


@pytest.fixture
def world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str) -> World:
    """120 generated Okta people in 16 groups, an empty Jira with one project led by admin."""
    okta = okta_sandbox(users=120, groups=16, apps=0, seed=23)
    jira = jira_sandbox(users=0, projects=1, seed=23)
    return make_world(okta, jira, store_url)


def _plan(world: World, *, full_read: bool) -> RunReport:
    return asyncio.run(Engine(world.config, world.store).plan(RunRequest("p", full_read=full_read)))


def _okta_reads(world: World) -> Counter[str]:
    stats = world.okta.sandbox.control.stats()
    return Counter({k: v for k, v in stats.items() if k.startswith("GET")})


def _jira_reads(world: World) -> Counter[str]:
    stats = world.jira.sandbox.control.stats()
    return Counter({k: v for k, v in stats.items() if k.startswith("GET")})


def _change(world: World, rng: random.Random, kind: str, n: int) -> None:
    """One change made through the Okta API, as an admin would make it."""
    state = world.okta.sandbox.state
    users = sorted(state.users)
    teams = sorted(g for g, group in state.groups.items() if group.profile["name"].startswith("team-"))
    uid = rng.choice(users)
    status = state.users[uid].status
    with world.okta_api() as okta:
        if kind == "rename":
            profile: dict[str, str] = {"displayName": f"Renamed {n}"}
            okta.post(f"/api/v1/users/{uid}", json={"profile": profile}).raise_for_status()
        elif kind == "department":
            profile = {"department": f"dept-{n}"}
            okta.post(f"/api/v1/users/{uid}", json={"profile": profile}).raise_for_status()
        elif kind == "suspend" and status == "ACTIVE":
            okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
        elif kind == "unsuspend" and status == "SUSPENDED":
            okta.post(f"/api/v1/users/{uid}/lifecycle/unsuspend").raise_for_status()
        elif kind == "deactivate" and status != "DEPROVISIONED":
            okta.post(f"/api/v1/users/{uid}/lifecycle/deactivate").raise_for_status()
        elif kind == "join":
            okta.put(f"/api/v1/groups/{rng.choice(teams)}/users/{uid}").raise_for_status()
        elif kind == "leave":
            group = rng.choice(teams)
            if uid in state.members[group]:
                okta.delete(f"/api/v1/groups/{group}/users/{uid}").raise_for_status()
        elif kind == "hire":
            login = f"hire{next(HIRES)}@example.com"  # hypothesis replays seeds: a login only once
            body = {"profile": {"firstName": "New", "lastName": f"Hire{n}", "email": login, "login": login}}
            created = okta.post("/api/v1/users?activate=true", json=body)
            created.raise_for_status()
            okta.put(f"/api/v1/groups/{rng.choice(teams)}/users/{created.json()['id']}").raise_for_status()


def _first_team(world: World) -> str:
    """The id of the first "team-" group in Okta (by id)."""
    groups = world.okta.sandbox.state.groups
    return next(g for g, group in sorted(groups.items()) if group.profile["name"].startswith("team-"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.sampled_from(CHANGES), min_size=0, max_size=8), seed=st.integers(0, 10**6),
       apply=st.booleans())
def test_an_incremental_run_plans_exactly_what_a_full_read_would(
    world: World, changes: list[str], seed: int, apply: bool
) -> None:
    # The world lives across examples: each starts where the last left Okta and Jira, so the stored
    # snapshot, the absence records and the group digests have whole histories behind them.
    if not world.reports:
        assert world.sync().status is RunStatus.SUCCEEDED
    rng = random.Random(seed)
    for n, kind in enumerate(changes):
        _change(world, rng, kind, n)

    incremental = _plan(world, full_read=False)
    full = _plan(world, full_read=True)

    assert incremental.plan is not None and full.plan is not None
    assert incremental.plan.items == full.plan.items
    assert incremental.plan.source_users == full.plan.source_users
    if apply:
        # the next example continues from a run that applied the changes (and recorded what it saw)
        report = world.sync()
        assert report.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), report.error
        assert world.converged()


@pytest.fixture
def sqlite_world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, tmp_path: Path) -> World:
    """The world of `world` on a SQLite store, which a test can copy to plan from without changing it."""
    okta = okta_sandbox(users=120, groups=16, apps=0, seed=29)
    jira = jira_sandbox(users=0, projects=1, seed=29)
    return make_world(okta, jira, f"sqlite:///{tmp_path / 'idsync.db'}")


def _full_read_plan_from_a_copy(world: World, folder: Path) -> RunReport:
    """A full-read dry run against a copy of the store: the reference plan, leaving the world's own
    store (its snapshot, links and digests) exactly as the next sync will find it."""
    copy = folder / f"copy-{next(HIRES)}.db"
    with sqlite3.connect(str(world.store.engine.url.database)) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    store = Store.open(f"sqlite:///{copy}")
    try:
        return asyncio.run(Engine(world.config, store).plan(RunRequest("p", full_read=True)))
    finally:
        store.close()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.sampled_from(CHANGES), min_size=1, max_size=8), seed=st.integers(0, 10**6))
def test_a_sync_taking_what_idsync_wrote_plans_exactly_what_a_full_read_would(
    sqlite_world: World, tmp_path: Path, changes: list[str], seed: int
) -> None:
    # Between full reads a sync takes the before-values of changed people and the members of changed
    # groups from what idsync wrote (idsync.engine.written_state): its plan must be the full read's.
    world = sqlite_world
    if not world.reports:
        assert world.sync().status is RunStatus.SUCCEEDED
    rng = random.Random(seed)
    for n, kind in enumerate(changes):
        _change(world, rng, kind, n)
    full = _full_read_plan_from_a_copy(world, tmp_path)

    report = world.sync()

    assert report.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), report.error
    assert full.plan is not None
    assert (report.plan.items if report.plan is not None else ()) == full.plan.items
    assert world.converged()


def test_a_no_op_run_reads_one_changed_user_page_and_no_group_members(world: World) -> None:
    world.sync()
    world.sync()  # records absences of people never created (inactive in Okta)
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES
    okta = _okta_reads(world)
    assert okta["GET /api/v1/users"] == 1, okta  # lastUpdated gt "…": one page
    assert okta["GET /api/v1/logs"] == 1, okta  # no deletion: one empty page
    assert "GET /api/v1/groups/{group}/users" not in okta, okta  # no group's timestamps moved
    jira = _jira_reads(world)
    assert "GET /rest/api/2/group/member" not in jira, jira  # every managed group as wanted
    assert "GET /rest/api/2/user" not in jira, jira  # nobody unlinked is looked up again


def test_a_change_reads_only_what_it_touches(world: World) -> None:
    world.sync()
    world.sync()
    state = world.okta.sandbox.state
    team = _first_team(world)
    uid = next(u for u in sorted(state.members[team]) if state.users[u].status == "ACTIVE")
    with world.okta_api() as okta:
        okta.delete(f"/api/v1/groups/{team}/users/{uid}").raise_for_status()
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Changed"}}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user": 1, "DELETE /rest/api/2/group/user": 1})
    jira = _jira_reads(world)
    # idsync wrote the person and the group as the previous snapshot's rules want them: neither the
    # person (their before-values), nor the group they left, nor their properties is read
    assert "GET /rest/api/2/group/member" not in jira, jira
    assert "GET /rest/api/2/user" not in jira, jira
    assert "GET /rest/api/2/user/properties/{key:path}" not in jira, jira
    # Okta: the membership came from the System Log, checked against the group's member count
    okta = _okta_reads(world)
    assert "GET /api/v1/groups/{group}/users" not in okta, okta
    assert report.plan is not None
    update = next(i for i in report.plan.items if i.action.value == "update_user")
    # the before-value is what idsync wrote at the previous run
    assert [(c.field, c.new) for c in update.changes] == [("display_name", "Changed")]
    assert update.changes[0].old not in (None, "Changed")
    assert world.converged()


def _hire(world: World, login: str) -> None:
    """A new ACTIVE Okta user (with a password: without one Okta leaves them PROVISIONED) in the first
    team."""
    state = world.okta.sandbox.state
    team = min(g for g, group in state.groups.items() if group.profile["name"].startswith("team-"))
    body = {"profile": {"firstName": "New", "lastName": "Hire", "email": login, "login": login},
            "credentials": {"password": {"value": "Tr0ub4dor&3-horse"}}}
    with world.okta_api() as okta:
        created = okta.post("/api/v1/users?activate=true", json=body)
        created.raise_for_status()
        okta.put(f"/api/v1/groups/{team}/users/{created.json()['id']}").raise_for_status()


@pytest.fixture
def paged_world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str) -> World:
    """The world with Jira's member pages of 10, so reading the default group takes several pages."""
    okta = okta_sandbox(users=120, groups=16, apps=0, seed=23)
    jira = jira_sandbox(users=0, projects=1, seed=23)
    retries = "    retries: {jira_retries}\n"
    text = CONFIG.replace(retries, f"{retries}    member_page_size: 10\n")
    values = {"jira_url": jira.url, "okta_extra": "", "jira_retries": 5, "max_deactivations": 1000}
    config, store = load_config(text, okta, store_url, {"JIRA_TOKEN": jira.token}, **values)
    return World(okta, jira, config, store)


def test_a_hire_checks_that_the_default_group_exists_without_reading_its_members(paged_world: World) -> None:
    world = paged_world
    world.sync()
    world.sync()
    assert len(world.jira_members("jira-software-users")) > 10  # a full read would take several pages
    _hire(world, "newcomer@example.com")
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    # one page of size 1 proves the group exists; its members are not read
    assert _jira_reads(world)["GET /rest/api/2/group/member"] == 1, _jira_reads(world)
    assert "newcomer" in world.jira_members("jira-software-users")
    assert world.converged()


def test_a_default_group_deleted_in_jira_is_created_again_for_a_hire(world: World) -> None:
    world.sync()
    world.sync()
    with world.jira.client() as jira:
        jira.delete("/rest/api/2/group", params={"groupname": "jira-software-users"}).raise_for_status()
    _hire(world, "another@example.com")

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    actions = [(i.action.value, i.group) for i in report.plan.items if i.group == "jira-software-users"]
    assert actions == [("create_group", "jira-software-users"), ("add_member", "jira-software-users")]
    assert world.jira_members("jira-software-users") == {"another"}


def test_a_membership_the_system_log_has_not_shown_yet_is_read_from_the_group(world: World) -> None:
    # Okta's log is eventually consistent: a change whose event is not (yet) in it leaves the group's
    # member count different from what the log explains, so that group is read in full
    world.sync()
    world.sync()
    state = world.okta.sandbox.state
    team = _first_team(world)
    other = next(g for g, group in sorted(state.groups.items())
                 if group.profile["name"].startswith("team-") and g != team)
    leaver = next(u for u in sorted(state.members[team]) if state.users[u].status == "ACTIVE")
    joiner = next(u for u in sorted(state.users) if state.users[u].status == "ACTIVE"
                  and u not in state.members[other])
    with world.okta_api() as okta:
        okta.delete(f"/api/v1/groups/{team}/users/{leaver}").raise_for_status()
        okta.put(f"/api/v1/groups/{other}/users/{joiner}").raise_for_status()
    lagging = state.log.events.pop()  # the join has not reached the log yet
    assert lagging["eventType"] == "group.user_membership.add"
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    okta = _okta_reads(world)
    assert okta["GET /api/v1/groups/{group}/users"] == 1, okta  # the joined group only
    assert world.jira_writes() == Counter(
        {"DELETE /rest/api/2/group/user": 1, "POST /rest/api/2/group/user": 1}
    )
    assert world.converged()


def test_a_dry_run_reads_what_it_shows(world: World) -> None:
    # a saved plan's stale check re-reads what the plan read, so a plan to review reads everyone it
    # changes: an edit in Jira before the plan is applied refuses it (tests/engine/test_plan_apply.py)
    world.sync()
    world.sync()
    uid = next(u for u, user in sorted(world.okta.sandbox.state.users.items()) if user.status == "ACTIVE")
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Changed"}}).raise_for_status()
    world.reset_counters()

    report = _plan(world, full_read=False)

    assert report.plan is not None and len(report.plan.items) == 1
    assert _jira_reads(world)["GET /rest/api/2/user"] == 1


def test_a_person_idsync_failed_to_write_is_read_again(world: World) -> None:
    # the proof is the link's fingerprint against the previous snapshot: a run that failed to write a
    # person leaves the old fingerprint, and the person is read (and written) again
    world.sync()
    uid = next(u for u, user in sorted(world.okta.sandbox.state.users.items()) if user.status == "ACTIVE")
    username = world.okta_username(uid)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "First"}}).raise_for_status()
    world.jira.sandbox.control.faults.update(
        {"rules": [{"path": "/rest/api/2/user", "method": "PUT", "count": 1000, "status": 500}]}
    )
    failed = world.sync()
    assert failed.status is not RunStatus.SUCCEEDED
    world.jira.sandbox.control.faults.update({"rules": []})
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Second"}}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert _jira_reads(world)["GET /rest/api/2/user"] == 1
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and jira_user.display_name == "Second"


def test_a_changed_custom_attribute_is_written_once_without_reading_it(world: World) -> None:
    world.sync()
    uid = next(u for u, user in sorted(world.okta.sandbox.state.users.items()) if user.status == "ACTIVE")
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"department": "Moved"}}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user/properties/{key:path}": 1})
    # its old value is the one idsync wrote at the previous run
    assert "GET /rest/api/2/user/properties/{key:path}" not in _jira_reads(world)
    jira_user = world.jira.sandbox.state.user_by_name(world.okta_username(uid))
    assert jira_user is not None and jira_user.properties["department"] == "Moved"


def _delete_an_active_user(world: World) -> tuple[str, str]:
    """Deactivate and delete an active Okta user between two runs (Okta's change filter never shows a
    deleted user again); their id and Jira username."""
    uid = next(u for u, user in sorted(world.okta.sandbox.state.users.items()) if user.status == "ACTIVE")
    username = world.okta_username(uid)
    with world.okta_api() as okta:
        okta.delete(f"/api/v1/users/{uid}").raise_for_status()
        okta.delete(f"/api/v1/users/{uid}").raise_for_status()
    assert uid not in world.okta.sandbox.state.users
    return uid, username


def test_a_user_deleted_in_okta_is_seen_in_the_system_log_at_the_next_run(world: World) -> None:
    world.sync()
    _, username = _delete_an_active_user(world)
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and not jira_user.active
    assert report.plan is not None and report.plan.source_users == 119
    okta = _okta_reads(world)
    # still incremental: the log (a page of events, then the empty page that ends a poll) and one page
    # of changed users
    assert okta["GET /api/v1/logs"] <= 2 and okta["GET /api/v1/users"] == 1, okta


def test_without_the_system_log_a_run_reads_in_full_and_still_sees_a_deletion(world: World) -> None:
    world.sync()
    _, username = _delete_an_active_user(world)
    # a token whose admin may not read the System Log
    world.okta.sandbox.control.faults.update(
        {"rules": [{"path": "/api/v1/logs", "method": "GET", "count": 1000, "status": 403}]}
    )
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and not jira_user.active
    # the full read: the user list and the DEPROVISIONED list
    assert _okta_reads(world)["GET /api/v1/users"] >= 2


def test_a_deletion_the_log_no_longer_holds_is_caught_by_the_next_full_read(world: World) -> None:
    world.sync()
    _, username = _delete_an_active_user(world)
    # the log answers, but without the events (as after its 90 days of retention)
    world.okta.sandbox.state.log.events.clear()

    incremental = world.sync()
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and jira_user.active, "neither the change filter nor the log shows it"
    assert incremental.plan is not None and incremental.plan.source_users == 120

    full = world.sync(full_read=True)

    assert full.status is RunStatus.SUCCEEDED, full.error
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and not jira_user.active
    assert full.plan is not None and full.plan.source_users == 119


def test_a_failed_incremental_read_writes_nothing_and_keeps_the_stored_snapshot(world: World) -> None:
    world.sync()
    uid = next(u for u, user in sorted(world.okta.sandbox.state.users.items()) if user.status == "ACTIVE")
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Changed"}}).raise_for_status()
    before = world.store.source_snapshot("okta")
    world.okta.sandbox.control.faults.update(
        {"rules": [{"path": "/api/v1/users", "method": "GET", "count": 1000, "status": 500}]}
    )
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.error and "SourceReadError" in report.error and "changed user list" in report.error
    assert world.jira_writes() == Counter()
    assert world.store.source_snapshot("okta") == before
    world.okta.sandbox.control.faults.update({"rules": []})
    after = world.sync()
    assert after.status is RunStatus.SUCCEEDED, after.error
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user": 1})


def test_a_member_removed_by_hand_in_jira_is_restored_by_the_next_full_read(world: World) -> None:
    world.sync()
    world.sync()
    group = sorted(world.expected_groups())[0]
    member = sorted(world.jira_members(group))[0]
    with world.jira.client() as jira:
        gone = jira.delete("/rest/api/2/group/user", params={"groupname": group, "username": member})
        gone.raise_for_status()

    incremental = world.sync()
    # a group whose wanted members did not change is not read
    assert incremental.status is RunStatus.NO_CHANGES

    full = world.sync(full_read=True)
    assert full.status is RunStatus.SUCCEEDED
    assert member in world.jira_members(group)


def test_a_group_renamed_in_okta_reads_no_member_and_not_the_old_group(world: World) -> None:
    world.sync()
    world.sync()
    state = world.okta.sandbox.state
    team = _first_team(world)
    old = state.groups[team].profile["name"]
    active = {u for u in state.members[team] if state.users[u].status == "ACTIVE"}
    assert active  # the group holds people idsync created
    with world.okta_api() as okta:
        body = {"profile": {"name": f"{old}-renamed", "description": "renamed"}}
        okta.put(f"/api/v1/groups/{team}", json=body).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.converged()
    jira = _jira_reads(world)
    # the members' records did not change, so nobody is read; the old group keeps what it held (on the
    # fly without `rename`, idsync stops managing it) and is not read either
    writes = world.jira_writes()
    assert set(writes) == {"POST /rest/api/2/group", "POST /rest/api/2/group/user"}, writes
    assert writes["POST /rest/api/2/group"] == 1 and writes["POST /rest/api/2/group/user"] >= len(active)
    assert jira["GET /rest/api/2/user"] == 0, jira
    assert jira["GET /rest/api/2/group/member"] <= 1, jira  # at most the new name, which Jira lacks
