"""End to end over HTTP: the sandbox Okta → idsync → the sandbox Confluence, with a real store (SQLite
and PostgreSQL through the `store_url` fixture). Every scenario counts the write requests Confluence
served, so "exactly the expected writes" is checked on the wire."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from idsync.domain.plan import Action, Outcome
from idsync.store.records import RunStatus
from tests.engine.confluence_world import CONNECTION, ConfluenceWorld, make_confluence_world
from tests.fixtures.confluence import ConfluenceFactory
from tests.fixtures.sandbox import RunningOkta

OktaFactory = Callable[..., RunningOkta]
USER = "/rest/api/admin/user/{username}"
MEMBERSHIP = "/rest/api/user/{username}/group/{groupName}"


@pytest.fixture
def world(
    okta_sandbox: OktaFactory, confluence_sandbox: ConfluenceFactory, store_url: str
) -> ConfluenceWorld:
    """150 generated Okta people in 16 groups, an empty Confluence (8.5)."""
    okta = okta_sandbox(users=150, groups=16, apps=1, seed=11)
    return make_confluence_world(okta, confluence_sandbox(users=0), store_url)


def _user(world: ConfluenceWorld, status: str = "ACTIVE") -> tuple[str, str, str]:
    """(okta id, confluence username, a managed group) of a user with this status in a managed group."""
    state = world.okta.sandbox.state
    for group_id, group in sorted(state.groups.items()):
        if not group.profile["name"].startswith("team-"):
            continue
        for uid in sorted(state.members[group_id]):
            if state.users[uid].status == status:
                return uid, world.okta_username(uid), group.profile["name"].lower()
    raise AssertionError("generated data has no such user")


def test_initial_sync_creates_users_groups_and_memberships(world: ConfluenceWorld) -> None:
    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.converged()
    counts = report.plan.counts() if report.plan else Counter()
    assert counts[Action.CREATE_USER] == len(world.expected_active())
    assert counts[Action.CREATE_GROUP] == len(world.expected_groups())
    assert counts[Action.SET_USER_PROPERTY] == 0  # Confluence has no place for custom attributes
    assert all(r.outcome is Outcome.APPLIED for r in report.results)
    assert world.writes()["POST /rest/api/admin/user"] == len(world.expected_active())


def test_second_run_makes_zero_writes(world: ConfluenceWorld) -> None:
    world.sync()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES
    assert report.plan is not None and report.plan.empty
    assert world.writes() == Counter()


def test_display_name_change_is_one_user_update(world: ConfluenceWorld) -> None:
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"displayName": "Renamed Person"}}
        ).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.writes() == Counter({f"PUT {USER}": 1})
    user = world.confluence.sandbox.state.user_by_name(username)
    assert user is not None and user.display_name == "Renamed Person"


def test_suspension_disables_and_the_returning_user_is_enabled_again(world: ConfluenceWorld) -> None:
    world.sync()
    uid, username, group = _user(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    world.reset_counters()

    suspended = world.sync()

    assert suspended.status is RunStatus.SUCCEEDED, suspended.error
    assert world.writes() == Counter({f"PUT {USER}/disable": 1})
    user = world.confluence.sandbox.state.user_by_name(username)
    assert user is not None and user.active is False
    assert username in world.members(group), "disabling keeps memberships, as Confluence does"

    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/unsuspend").raise_for_status()
    world.reset_counters()

    returned = world.sync()

    assert returned.status is RunStatus.SUCCEEDED, returned.error
    assert world.writes() == Counter({f"PUT {USER}/enable": 1})
    assert user.active is True
    assert world.converged()


def test_removal_from_a_group_is_one_membership_removal(world: ConfluenceWorld) -> None:
    world.sync()
    uid, username, group = _user(world)
    group_id = next(
        g.id for g in world.okta.sandbox.state.groups.values() if g.profile["name"].lower() == group
    )
    with world.okta_api() as okta:
        okta.delete(f"/api/v1/groups/{group_id}/users/{uid}").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.writes() == Counter({f"DELETE {MEMBERSHIP}": 1})
    assert username not in world.members(group)


def test_new_group_matching_the_pattern_is_created_with_its_members(world: ConfluenceWorld) -> None:
    world.sync()
    members = sorted(world.expected_active())[:3]
    state = world.okta.sandbox.state
    ids = [uid for uid in state.users if world.okta_username(uid) in members]
    with world.okta_api() as okta:
        created = okta.post("/api/v1/groups", json={"profile": {"name": "team-brand-new"}})
        created.raise_for_status()
        for uid in ids:
            okta.put(f"/api/v1/groups/{created.json()['id']}/users/{uid}").raise_for_status()
        okta.post("/api/v1/groups", json={"profile": {"name": "not-matching"}}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.writes() == Counter({"POST /rest/api/admin/group": 1, f"PUT {MEMBERSHIP}": 3})
    assert world.members("team-brand-new") == set(members)
    assert "not-matching" not in world.confluence.sandbox.state.groups


def test_a_user_deleted_in_okta_is_deleted_through_the_long_task(
    okta_sandbox: OktaFactory, confluence_sandbox: ConfluenceFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    world = make_confluence_world(okta, confluence_sandbox(users=0), store_url, when_removed="delete")
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta_api:
        okta_api.delete(f"/api/v1/users/{uid}").raise_for_status()  # deactivates
        okta_api.delete(f"/api/v1/users/{uid}").raise_for_status()  # deletes
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, [r.error for r in report.results if r.error]
    assert world.writes() == Counter({f"DELETE {USER}": 1})
    assert world.confluence.sandbox.control.stats()["GET /rest/api/longtask/{task_id}"] >= 1
    assert world.confluence.sandbox.state.user_by_name(username) is None


def test_a_500_on_a_confluence_read_page_means_no_writes(
    okta_sandbox: OktaFactory, confluence_sandbox: ConfluenceFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    world = make_confluence_world(okta, confluence_sandbox(users=0), store_url, retries=1)
    world.sync()
    uid, _, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Changed"}}).raise_for_status()
    world.confluence.sandbox.control.faults.update(
        {
            "rules": [
                {"path": "/rest/api/group/*", "method": "GET", "skip": 0, "count": 100_000, "status": 500}
            ]
        }
    )
    world.reset_counters()

    report = world.sync(full_read=True)  # every group read, so the failing page is asked for

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error is not None and f"Confluence connection {CONNECTION!r}" in report.error
    assert world.writes() == Counter()


def test_bad_credentials_fail_the_run_naming_the_connection_never_the_secret(
    okta_sandbox: OktaFactory, confluence_sandbox: ConfluenceFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=20, groups=4, apps=0, seed=11)
    confluence = confluence_sandbox(users=0)
    world = make_confluence_world(okta, confluence, store_url, token="wrong-secret-4711")

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error is not None
    assert "StopSyncError" in report.error and repr(CONNECTION) in report.error
    assert "wrong-secret-4711" not in report.error
    assert world.writes() == Counter()
    assert world.store.runs("p", 1)[0].status == RunStatus.FAILED


def test_creation_past_the_licence_fails_those_items_clearly_without_retries(
    okta_sandbox: OktaFactory, confluence_sandbox: ConfluenceFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    confluence = confluence_sandbox(users=0, licensed_users=40)
    world = make_confluence_world(okta, confluence, store_url)

    # the licence guard refuses this plan (more seats than left); past it, Confluence refuses each one
    report = world.sync(allow_over_limit=True)

    assert report.status is RunStatus.PARTIAL
    assert report.exit_code == 1
    creates = [(item, result) for item, result in report.failed() if item.action is Action.CREATE_USER]
    wanted = len(world.expected_active())
    assert len(creates) == wanted - 39  # the admin holds one of the 40 seats
    assert all(
        "no licence seat left" in (result.error or "") and result.attempts == 1 for _, result in creates
    )
    assert world.writes()["POST /rest/api/admin/user"] == wanted
    assert len(world.confluence.sandbox.state.users) == 40
