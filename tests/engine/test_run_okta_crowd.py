"""End to end over HTTP: the sandbox Okta → idsync → the sandbox Crowd, with a real store (SQLite and
PostgreSQL through the `store_url` fixture): initial sync, idempotence, and that each kind of source
change gives exactly its Crowd writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from idsync.domain.plan import Action, Outcome
from idsync.store.records import RunStatus
from tests.engine.crowd_e2e import CrowdWorld, make_crowd_world
from tests.fixtures.crowd import API, CrowdFactory
from tests.fixtures.sandbox import RunningOkta

OktaFactory = Callable[..., RunningOkta]
PUT_USER = f"PUT {API}/user"


@pytest.fixture
def world(okta_sandbox: OktaFactory, crowd_sandbox: CrowdFactory, store_url: str) -> CrowdWorld:
    """150 generated Okta people in 16 groups, an empty Crowd directory."""
    return make_crowd_world(okta_sandbox(users=150, groups=16, apps=0, seed=11), crowd_sandbox(), store_url)


def _user(world: CrowdWorld, status: str = "ACTIVE") -> tuple[str, str, str]:
    """(okta id, crowd username, a managed group) of a user with this status in a managed group."""
    state = world.okta.sandbox.state
    for group_id, group in sorted(state.groups.items()):
        if not group.profile["name"].startswith("team-"):
            continue
        for uid in sorted(state.members[group_id]):
            user = state.users[uid]
            if user.status == status:
                return uid, user.profile["login"].split("@")[0].lower(), group.profile["name"].lower()
    raise AssertionError("generated data has no such user")


def test_initial_sync_creates_users_groups_memberships_and_attributes(world: CrowdWorld) -> None:
    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.exit_code == 0
    assert world.converged()
    counts = report.plan.counts() if report.plan else Counter()
    assert counts[Action.CREATE_USER] == len(world.expected_active())
    assert counts[Action.CREATE_GROUP] == len(world.expected_groups())
    assert all(r.outcome is Outcome.APPLIED for r in report.results)
    first = world.crowd.sandbox.state.user_by_name(sorted(world.expected_active())[0])
    assert first is not None and "department" in first.attributes
    assert first.password and len(first.password) == 32  # a random one: people sign in through SSO


def test_second_run_makes_zero_writes(world: CrowdWorld) -> None:
    world.sync()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES
    assert report.plan is not None and report.plan.empty
    assert world.crowd_writes() == Counter()


def test_display_name_change_is_one_user_update(world: CrowdWorld) -> None:
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"displayName": "Renamed Person"}}
        ).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.crowd_writes() == Counter({PUT_USER: 1})
    user = world.crowd.sandbox.state.user_by_name(username)
    assert user is not None and user.display_name == "Renamed Person"
    assert user.email  # the full-replace PUT kept the other fields


def test_a_login_change_is_one_rename_keeping_key_and_memberships(world: CrowdWorld) -> None:
    world.sync()
    uid, username, group = _user(world)
    before = world.crowd.sandbox.state.user_by_name(username)
    assert before is not None
    with world.okta_api() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"login": "renamed.person@example.com"}}
        ).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.crowd_writes() == Counter({f"POST {API}/user/rename": 1})
    after = world.crowd.sandbox.state.user_by_name("renamed.person")
    assert after is before and after.key == before.key
    assert "renamed.person" in world.members(group)


def test_suspension_deactivates_and_keeps_memberships(world: CrowdWorld) -> None:
    world.sync()
    uid, username, group = _user(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.crowd_writes() == Counter({PUT_USER: 1})
    user = world.crowd.sandbox.state.user_by_name(username)
    assert user is not None and user.active is False
    assert username in world.members(group)


def test_a_returning_user_is_one_reactivation(world: CrowdWorld) -> None:
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    world.sync()
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/unsuspend").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.crowd_writes() == Counter({PUT_USER: 1})
    user = world.crowd.sandbox.state.user_by_name(username)
    assert user is not None and user.active is True
    assert world.converged()


def test_removal_from_a_group_is_one_membership_removal(world: CrowdWorld) -> None:
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
    assert world.crowd_writes() == Counter({f"DELETE {API}/group/user/direct": 1})
    assert username not in world.members(group)


def test_new_group_matching_the_pattern_is_created_with_its_members(world: CrowdWorld) -> None:
    world.sync()
    members = sorted(world.expected_active())[:3]
    state = world.okta.sandbox.state
    ids = [uid for uid, u in state.users.items() if u.profile["login"].split("@")[0].lower() in members]
    with world.okta_api() as okta:
        created = okta.post("/api/v1/groups", json={"profile": {"name": "team-brand-new"}})
        created.raise_for_status()
        for uid in ids:
            okta.put(f"/api/v1/groups/{created.json()['id']}/users/{uid}").raise_for_status()
        okta.post("/api/v1/groups", json={"profile": {"name": "not-matching"}}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.crowd_writes() == Counter({f"POST {API}/group": 1, f"POST {API}/group/user/direct": 3})
    assert world.members("team-brand-new") == set(members)
    assert world.crowd.sandbox.state.group("not-matching") is None


def test_a_500_on_a_crowd_read_page_means_no_crowd_writes(
    okta_sandbox: OktaFactory, crowd_sandbox: CrowdFactory, store_url: str
) -> None:
    crowd = crowd_sandbox()
    world = make_crowd_world(okta_sandbox(users=150, groups=16, apps=0, seed=11), crowd, store_url)
    crowd.sandbox.control.faults.update(
        {
            "rules": [
                {"path": f"{API}/group/user/direct", "method": "GET", "skip": 1, "count": 1000, "status": 500}
            ]
        }
    )  # the second group read fails, and so does every retry

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error and "connection 'crowd'" in report.error
    assert any("(rule 500)" in key for key in crowd.sandbox.control.stats())
    assert world.crowd_writes() == Counter()
    assert len(crowd.sandbox.state.users) == 1  # only the directory's admin


def test_bad_credentials_fail_the_run_naming_the_connection_not_the_secret(
    okta_sandbox: OktaFactory, crowd_sandbox: CrowdFactory, store_url: str
) -> None:
    crowd = crowd_sandbox()
    secret = "wrong-secret-5f1c9"
    world = make_crowd_world(
        okta_sandbox(users=20, groups=4, apps=0, seed=3), crowd, store_url, password=secret
    )

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error and "connection 'crowd'" in report.error
    assert "StopSyncError" in report.error and "401" in report.error
    assert secret not in report.error
    assert world.crowd_writes() == Counter()
