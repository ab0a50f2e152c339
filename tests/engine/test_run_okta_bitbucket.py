"""End to end over HTTP: the sandbox Okta → idsync → the sandbox Bitbucket, with a real store (SQLite
and PostgreSQL through the `store_url` fixture). Bitbucket has no deactivate, so a person leaves by
losing the licence-granting groups and comes back by getting them back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from idsync.domain.plan import Action, Outcome
from idsync.store.records import RunStatus
from tests.engine.bitbucket_world import LICENCE_GROUP, BitbucketWorld, make_bitbucket_world
from tests.fixtures.bitbucket import BitbucketFactory
from tests.fixtures.sandbox import RunningOkta

OktaFactory = Callable[..., RunningOkta]
API = "/rest/api/1.0"


@pytest.fixture
def world(okta_sandbox: OktaFactory, bitbucket_sandbox: BitbucketFactory, store_url: str) -> BitbucketWorld:
    """150 generated Okta people in 16 groups, an empty Bitbucket (admin and standard groups only)."""
    okta = okta_sandbox(users=150, groups=16, apps=1, seed=11)
    return make_bitbucket_world(okta, bitbucket_sandbox(users=0), store_url)


def _user(world: BitbucketWorld, status: str = "ACTIVE") -> tuple[str, str, str]:
    """(okta id, username, a managed group) of a user with this status in a managed group."""
    state = world.okta.sandbox.state
    for group_id, group in sorted(state.groups.items()):
        if not group.profile["name"].startswith("team-"):
            continue
        for uid in sorted(state.members[group_id]):
            user = state.users[uid]
            if user.status == status:
                return uid, user.profile["login"].split("@")[0].lower(), group.profile["name"].lower()
    raise AssertionError("generated data has no such user")


def _items(world: BitbucketWorld) -> list[tuple[Action, str]]:
    plan = world.reports[-1].plan
    return [(item.action, item.subject) for item in plan.items] if plan else []


def test_initial_sync_creates_licensed_users_groups_and_memberships(world: BitbucketWorld) -> None:
    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.exit_code == 0
    assert world.converged()
    counts = report.plan.counts() if report.plan else Counter()
    assert counts[Action.CREATE_USER] == len(world.expected_active())
    assert counts[Action.CREATE_GROUP] == len(world.expected_groups())
    assert all(r.outcome is Outcome.APPLIED for r in report.results)
    assert world.members(LICENCE_GROUP) >= world.expected_active()
    writes = world.writes()
    assert writes[f"POST {API}/admin/users"] == len(world.expected_active())


def test_second_run_makes_zero_writes(world: BitbucketWorld) -> None:
    world.sync()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES
    assert report.plan is not None and report.plan.empty
    assert world.writes() == Counter()


def test_display_name_change_is_one_user_update(world: BitbucketWorld) -> None:
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"displayName": "Renamed Person"}}
        ).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.writes() == Counter({f"PUT {API}/admin/users": 1})
    user = world.bitbucket.sandbox.state.user_by_name(username)
    assert user is not None and user.display_name == "Renamed Person"


@pytest.mark.parametrize("transition", ["suspend", "deactivate"])
def test_suspension_revokes_exactly_the_licence_groups(world: BitbucketWorld, transition: str) -> None:
    world.sync()
    uid, username, group = _user(world)
    before = world.groups_of(username)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/{transition}").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert _items(world) == [(Action.REVOKE_LICENCE, f"{username} ⨯ {LICENCE_GROUP}")]
    assert world.writes() == Counter({f"POST {API}/admin/users/remove-group": 1})
    assert username not in world.licensed()
    assert world.groups_of(username) == before - {LICENCE_GROUP}, "only the licence group goes"
    assert group in world.groups_of(username)


def test_a_returning_user_gets_exactly_its_licence_groups_back(world: BitbucketWorld) -> None:
    world.sync()
    uid, username, _ = _user(world)
    before = world.groups_of(username)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    world.sync()
    assert username not in world.licensed()
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/unsuspend").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert _items(world) == [(Action.RESTORE_LICENCE, f"{username} → {LICENCE_GROUP}")]
    assert world.writes() == Counter({f"POST {API}/admin/users/add-groups": 1})
    assert world.groups_of(username) == before
    assert world.converged()


def test_removal_from_a_group_is_one_membership_removal(world: BitbucketWorld) -> None:
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
    assert world.writes() == Counter({f"POST {API}/admin/users/remove-group": 1})
    assert username not in world.members(group)
    assert username in world.licensed()


def test_new_group_matching_the_pattern_is_created_with_its_members(world: BitbucketWorld) -> None:
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
    # the three memberships of the new group go in one add-users request
    assert world.writes() == Counter({f"POST {API}/admin/groups": 1, f"POST {API}/admin/groups/add-users": 1})
    assert world.members("team-brand-new") == set(members)
    assert world.bitbucket.sandbox.state.group("not-matching") is None


def test_a_500_on_a_member_page_fails_the_run_without_any_bitbucket_write(
    okta_sandbox: OktaFactory, bitbucket_sandbox: BitbucketFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    bitbucket = bitbucket_sandbox(users=0)
    world = make_bitbucket_world(okta, bitbucket, store_url, retries=0, page_size=20)
    assert world.sync().status is RunStatus.SUCCEEDED
    uid, _, group = _user(world)
    group_id = next(g.id for g in okta.sandbox.state.groups.values() if g.profile["name"].lower() == group)
    with world.okta_api() as okta_api:
        okta_api.delete(f"/api/v1/groups/{group_id}/users/{uid}").raise_for_status()
    # page 2 of a member listing (stash-users has more than 20 members) fails
    rule = {"path": f"{API}/admin/groups/more-members", "skip": 1, "count": 1000, "status": 500}
    bitbucket.sandbox.control.faults.update({"rules": [rule]})
    world.reset_counters()

    report = world.sync(full_read=True)  # every group read, stash-users' page 2 among them

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error and "connection 'bitbucket'" in report.error
    assert world.writes() == Counter()
    assert world.store.runs("p", 1)[0].status == RunStatus.FAILED


def test_bad_credentials_fail_the_run_naming_the_connection_not_the_secret(
    okta_sandbox: OktaFactory, bitbucket_sandbox: BitbucketFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=30, groups=4, apps=0, seed=2)
    bitbucket = bitbucket_sandbox(users=0)
    world = make_bitbucket_world(okta, bitbucket, store_url, token="wrong-secret-4711")

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error and "connection 'bitbucket'" in report.error
    assert "StopSyncError" in report.error and "401" in report.error
    assert "wrong-secret-4711" not in report.error
    assert world.writes() == Counter()
    assert len(bitbucket.sandbox.state.users) == 1


def test_the_licence_limit_fails_only_the_seats_past_it(
    okta_sandbox: OktaFactory, bitbucket_sandbox: BitbucketFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=40, groups=4, apps=0, seed=2)
    bitbucket = bitbucket_sandbox(users=0, licensed_users=11)  # the admin and 10 more
    world = make_bitbucket_world(okta, bitbucket, store_url)

    # the licence guard refuses this plan (more seats than left); past it, Bitbucket refuses each seat
    report = world.sync(allow_over_limit=True)

    assert report.status is RunStatus.PARTIAL
    assert report.exit_code == 1
    failed = report.failed()
    assert failed and all(
        item.action is Action.ADD_MEMBER and item.group == LICENCE_GROUP for item, _ in failed
    )
    assert all("licensed-user limit" in (result.error or "") for _, result in failed)
    assert len(failed) == len(world.expected_active()) - 10
    assert not any(r.outcome is Outcome.SKIPPED for r in report.results), "the target was not halted"
    assert bitbucket.sandbox.state.licensed_count() == 11
    assert world.writes()[f"POST {API}/admin/users/add-groups"] >= len(failed)
