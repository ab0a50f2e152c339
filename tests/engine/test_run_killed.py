"""Kill -9 during apply, then one more run: Jira ends exactly as the rules say, nobody twice, every user
idsync created linked (with `users.match_existing_by: none`, so nothing is claimed by accident), and the
killed run's history lists every write that reached Jira — on SQLite and PostgreSQL.

`idsync sync` runs in its own process against the Okta and Jira emulators of this test process; it is
killed with SIGKILL once Jira has served a random share of the run's planned writes (read from its
history) less Jira's `concurrency`, so that a write is always still to come when the signal is sent.
The Jira state at the moment of the kill is compared with the killed run's history (as recovery at the
next start completes it): each change Jira shows is an applied item, and each applied item is a change
Jira shows.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from idsync.domain.plan import Action
from idsync.store.records import RunItemRecord, RunStatus
from tests.engine.e2e import CONFIG, World
from tests.engine.okta_world import INCLUDE, load_config
from tests.fixtures.postgres import PostgresCluster
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.fixtures.secret_watch import register_secret

pytestmark = pytest.mark.slow

NO_CLAIMS = CONFIG.replace("    users:\n", "    users:\n      match_existing_by: none\n").replace(
    "    retries: {jira_retries}\n", "    retries: {jira_retries}\n    concurrency: {jira_concurrency}\n"
)
KILLS = 10
INITIAL_CONCURRENCY = 8
"""Jira's default: an initial sync is killed with a full window of writes in flight."""
CHANGE_CONCURRENCY = 2
"""A change run plans about twenty writes; two in flight leave room for kills all through it."""
LATENCY_MS = 20
"""What Jira adds to each request: ten times the 2 ms between two looks at its counter, so that no more
than `concurrency` answers arrive between two looks even when this process is slow to get the CPU
(at 3 ms, 26 writes were once counted past the point, with the whole suite running beside)."""

Snapshot = tuple[dict[str, tuple[bool, str, str, str | None]], dict[str, frozenset[str]]]
"""Jira users (name → active, e-mail, display name, department) and groups (name → member names)."""


def _world(okta: RunningOkta, jira: RunningJira, store_url: str, path: Path, concurrency: int) -> World:
    values = {"jira_url": jira.url, "okta_extra": "", "jira_retries": 5, "jira_concurrency": concurrency,
              "max_deactivations": 1000}
    config, store = load_config(NO_CLAIMS, okta, store_url, {"JIRA_TOKEN": jira.token}, **values)
    path.write_text(NO_CLAIMS.format(store_url=store_url, okta_url=okta.url, include=INCLUDE, **values))
    return World(okta, jira, config, store)


def _writes(jira: RunningJira) -> int:
    return sum(n for k, n in jira.sandbox.control.stats().items() if not k.startswith(("GET", "HEAD")))


def _sync_killed_after(world: World, path: Path, share: float) -> int | None:
    """Run `idsync sync p` in its own process and SIGKILL it once Jira served `share` (0–1) of the
    run's planned writes less Jira's `concurrency` (at least one write): the point, or None when the
    run ended before it. The planned writes are read from history, where the run records its plan
    before its first write; as many answers as there are writes in flight can arrive between two looks
    at Jira's counter, so stopping `concurrency` short of the end keeps the kill from landing after the
    run's last write, when its history would already say it succeeded."""
    known = {run.id for run in world.store.runs("p", limit=1)}
    in_flight = world.config.connections["jira"].concurrency
    start = _writes(world.jira)
    env = {**os.environ, "OKTA_TOKEN": world.okta.token, "JIRA_TOKEN": world.jira.token}
    process = subprocess.Popen(
        [sys.executable, "-c", "from idsync.cli import main; main()", "sync", "p", "--yes", "-c", str(path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    point = None
    try:
        while process.poll() is None and point is None:
            runs = world.store.runs("p", limit=1)
            if runs and runs[0].id not in known and runs[0].item_count:
                planned = _planned_writes(world.store.run(runs[0].id).items)
                point = max(1, round(share * (planned - in_flight)))
            else:
                # not every 2 ms: the store's queries would hold this process's interpreter, whose threads
                # serve Okta and Jira to the run; the first writes take LATENCY_MS to be answered anyway
                time.sleep(0.01)
        while process.poll() is None and point is not None and _writes(world.jira) - start < point:
            time.sleep(0.002)
        if process.poll() is not None:
            return None
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.3)  # let the emulator finish the requests that were in flight
    return point


def _snapshot(jira: RunningJira) -> Snapshot:
    state = jira.sandbox.state
    users = {u.name: (u.active, u.email, u.display_name, _department(u.properties))
             for u in state.users.values()}
    groups = {name: frozenset(state.users[key].name for key in g.members) for name, g in state.groups.items()}
    return users, groups


def _department(properties: dict[str, object]) -> str | None:
    value = properties.get("department")
    if isinstance(value, dict):
        value = value.get("value")
    return None if value is None else str(value)


def _changes(before: Snapshot, after: Snapshot) -> set[tuple[str, ...]]:
    """What Jira shows was done between two snapshots, in the shape `_applied` gives items."""
    (users0, groups0), (users1, groups1) = before, after
    done: set[tuple[str, ...]] = set()
    for name, (active, email, shown, dept) in users1.items():
        old = users0.get(name)
        if old is None:
            done.add(("create_user", name))
            if not active:
                done.add(("deactivate_user", name))
        else:
            if old[0] != active:
                done.add(("reactivate_user" if active else "deactivate_user", name))
            if (old[1], old[2]) != (email, shown):
                done.add(("update_user", name))
        if dept is not None and (old is None or old[3] != dept):
            done.add(("set_user_property", name))
    for group, members in groups1.items():
        if group not in groups0:
            done.add(("create_group", group))
        for member in members - groups0.get(group, frozenset()):
            done.add(("add_member", member, group))
        for member in groups0.get(group, frozenset()) - members:
            done.add(("remove_member", member, group))
    return done


def _applied(world: World, run_id: str) -> set[tuple[str, ...]]:
    done: set[tuple[str, ...]] = set()
    for item in world.store.run(run_id).items:
        if item.outcome != "applied":
            continue
        if item.action in ("add_member", "remove_member"):
            done.add((item.action, str(item.user), str(item.group).lower()))
        elif item.action == "create_group":
            done.add((item.action, str(item.group).lower()))
        else:
            done.add((item.action, str(item.user)))
    return done


def _check_converged(world: World, killed_run: str, at_kill: Snapshot, before: Snapshot) -> None:
    report = world.sync()
    assert report.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), report.error
    assert world.converged()
    names = [u.name for u in world.jira.sandbox.state.users.values()]
    assert len(names) == len(set(names))
    expected = world.expected_active()
    links = world.store.links("p", "jira")
    linked = {link.username.lower() for link in links.values()}
    made = {name for name in at_kill[0] if name not in before[0]}  # created by the killed run
    assert expected <= linked, f"not linked: {sorted(expected - linked)[:5]}"
    assert made <= linked, f"created but not linked: {sorted(made - linked)[:5]}"
    killed = world.store.run(killed_run).summary
    assert killed.status == "failed" and (killed.error or "").startswith("interrupted")
    assert _applied(world, killed_run) == _changes(before, at_kill)


def _mutate(world: World, rng: random.Random, round_no: int) -> None:
    """A change day in Okta, through its REST API: hires (created active, with a password, into a
    managed group), leavers, moves, renames."""
    state = world.okta.sandbox.state
    with world.okta_api() as okta:
        active = sorted(uid for uid, u in state.users.items() if u.status == "ACTIVE")
        teams = sorted(gid for gid, g in state.groups.items() if re.search(INCLUDE, g.profile["name"]))
        assert teams, "the generated org has no managed group"
        for uid in rng.sample(active, 3):
            okta.post(f"/api/v1/users/{uid}/lifecycle/deactivate").raise_for_status()
        for uid in rng.sample(active, 6):
            gid = rng.choice(teams)
            if uid in state.members[gid]:
                okta.delete(f"/api/v1/groups/{gid}/users/{uid}").raise_for_status()
            else:
                okta.put(f"/api/v1/groups/{gid}/users/{uid}").raise_for_status()
        for uid in rng.sample(active, 4):
            profile = {"lastName": f"Renamed{round_no}", "department": f"dept-{round_no}"}
            okta.post(f"/api/v1/users/{uid}", json={"profile": profile}).raise_for_status()
        for n in range(4):
            login = f"new{round_no}x{n}@example.com"
            password = f"Hire-{round_no}-{n}-Pass!"
            register_secret("okta hire password", password)  # never to be seen in a report
            body = {"profile": {"firstName": "New", "lastName": f"Person{n}", "email": login, "login": login},
                    "credentials": {"password": {"value": password}}}
            created = okta.post("/api/v1/users?activate=true", json=body)
            created.raise_for_status()
            okta.put(f"/api/v1/groups/{rng.choice(teams)}/users/{created.json()['id']}").raise_for_status()


def test_kill_during_an_initial_sync_then_one_run_converges_exactly(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
    store_url: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    rng = random.Random(7)
    for n in range(KILLS):
        okta = okta_sandbox(users=90, groups=8, seed=n)
        jira = jira_sandbox(users=0, projects=1, seed=n)
        jira.sandbox.control.faults.latency_ms = LATENCY_MS
        url = store_url if n == 0 else _fresh(store_url, tmp_path, n, request)
        world = _world(okta, jira, url, tmp_path / f"idsync-{n}.yaml", INITIAL_CONCURRENCY)
        before = _snapshot(jira)
        share = rng.random()
        assert _sync_killed_after(world, tmp_path / f"idsync-{n}.yaml", share), \
            f"the run ended before {share:.0%} of its writes"
        at_kill = _snapshot(jira)
        killed_run = world.store.runs("p", limit=1)[0].id
        _check_converged(world, killed_run, at_kill, before)
        world.store.close()


def test_kill_during_change_runs_then_one_run_converges_exactly(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
    store_url: str, tmp_path: Path,
) -> None:
    rng = random.Random(11)
    okta = okta_sandbox(users=90, groups=16, seed=11)
    jira = jira_sandbox(users=0, projects=1, seed=11)
    path = tmp_path / "idsync.yaml"
    world = _world(okta, jira, store_url, path, CHANGE_CONCURRENCY)
    assert world.sync().status is RunStatus.SUCCEEDED
    jira.sandbox.control.faults.latency_ms = LATENCY_MS
    for round_no in range(KILLS):
        _mutate(world, rng, round_no)
        before = _snapshot(jira)
        share = rng.random()
        assert _sync_killed_after(world, path, share), \
            f"round {round_no}: the run ended before {share:.0%} of its writes"
        at_kill = _snapshot(jira)
        killed_run = world.store.runs("p", limit=1)[0].id
        _check_converged(world, killed_run, at_kill, before)
    world.store.close()


def _planned_writes(items: Sequence[RunItemRecord]) -> int:
    """The Jira writes of a run's items: one per item, but for the ADD_MEMBER of a user the run creates
    into jira-software-users, the default group of the role Jira gives them on creation (no request)."""
    created = {item.source_id for item in items if item.action == Action.CREATE_USER.value}
    joined = [item for item in items if item.action == Action.ADD_MEMBER.value
              and item.group == "jira-software-users" and item.source_id in created]
    return len(items) - len(joined)


def _fresh(store_url: str, tmp_path: Path, n: int, request: pytest.FixtureRequest) -> str:
    """Another empty store of the same kind as `store_url`: a new SQLite file, or a new PostgreSQL
    database in the session's server."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'idsync-{n}.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"k_{secrets.token_hex(6)}")
