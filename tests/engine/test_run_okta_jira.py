"""End to end over HTTP: the sandbox Okta → idsync → the sandbox Jira, with a real store (SQLite and
PostgreSQL: every test runs on both through the `store_url` fixture): first sync,
changes in Okta, follow-up syncs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from idsync.domain.plan import Action, Outcome
from idsync.store.records import RunStatus
from tests.engine.e2e import World, make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
JiraFactory = Callable[..., RunningJira]


@pytest.fixture
def world(okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str) -> World:
    """150 generated Okta people in 16 groups, an empty Jira with two projects led by admin."""
    okta = okta_sandbox(users=150, groups=16, apps=1, seed=11)
    jira = jira_sandbox(users=0, projects=2, seed=11)
    return make_world(okta, jira, store_url)


def _user(world: World, status: str = "ACTIVE", in_team: bool = True) -> tuple[str, str, str]:
    """(okta id, jira username, a managed group) of a user with this status in a managed group."""
    state = world.okta.sandbox.state
    for group_id, group in sorted(state.groups.items()):
        if not group.profile["name"].startswith("team-"):
            continue
        for uid in sorted(state.members[group_id]):
            user = state.users[uid]
            if user.status == status:
                return uid, user.profile["login"].split("@")[0].lower(), group.profile["name"].lower()
    raise AssertionError("generated data has no such user")


def test_initial_sync_creates_users_groups_and_memberships(world: World) -> None:
    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.exit_code == 0
    assert world.converged()
    counts = report.plan.counts() if report.plan else Counter()
    assert counts[Action.CREATE_USER] == len(world.expected_active())
    assert counts[Action.CREATE_GROUP] == len(world.expected_groups())
    assert all(r.outcome is Outcome.APPLIED for r in report.results)
    # custom attribute written as a Jira user property
    jira_user = world.jira.sandbox.state.user_by_name(sorted(world.expected_active())[0])
    assert jira_user is not None and "department" in jira_user.properties


def test_second_run_makes_zero_writes(world: World) -> None:
    world.sync()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES
    assert report.plan is not None and report.plan.empty
    assert world.jira_writes() == Counter()


def test_display_name_change_is_one_user_update(world: World) -> None:
    world.sync()
    uid, username, _ = _user(world)
    with world.okta_api() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"displayName": "Renamed Person"}}
        ).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user": 1})
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and jira_user.display_name == "Renamed Person"


@pytest.mark.parametrize("transition", ["suspend", "deactivate"])
def test_suspension_or_deactivation_deactivates_in_jira(world: World, transition: str) -> None:
    world.sync()
    uid, username, group = _user(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/{transition}").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user": 1})
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and jira_user.active is False
    assert username in world.jira_members(group), "deactivation keeps memberships, as Jira does"


def test_removal_from_a_group_is_one_membership_removal(world: World) -> None:
    world.sync()
    uid, username, group = _user(world)
    group_id = next(
        g.id for g in world.okta.sandbox.state.groups.values() if g.profile["name"].lower() == group
    )
    with world.okta_api() as okta:
        okta.delete(f"/api/v1/groups/{group_id}/users/{uid}").raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED
    assert world.jira_writes() == Counter({"DELETE /rest/api/2/group/user": 1})
    assert username not in world.jira_members(group)


def test_new_group_matching_the_pattern_is_created_with_its_members(world: World) -> None:
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

    assert report.status is RunStatus.SUCCEEDED
    assert world.jira_writes() == Counter({"POST /rest/api/2/group": 1, "POST /rest/api/2/group/user": 3})
    assert world.jira_members("team-brand-new") == set(members)
    assert "not-matching" not in world.jira.sandbox.state.groups


def test_app_assignment_brings_a_user_into_scope(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=1, seed=11)
    app_id = next(iter(okta.sandbox.state.apps))
    world = make_world(okta, jira_sandbox(users=0, projects=0), store_url, app_id=app_id)
    world.sync()
    in_app = set(world.okta.sandbox.state.app_user_scopes(app_id))
    outsider = next(
        u for uid, u in sorted(okta.sandbox.state.users.items())
        if uid not in in_app and u.status == "ACTIVE"
    )  # fmt: skip
    username = outsider.profile["login"].split("@")[0].lower()
    assert world.jira.sandbox.state.user_by_name(username) is None
    with world.okta_api() as okta_api:
        okta_api.post(f"/api/v1/apps/{app_id}/users", json={"id": outsider.id}).raise_for_status()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    writes = world.jira_writes()
    assert writes["POST /rest/api/2/user"] == 1
    created = world.jira.sandbox.state.user_by_name(username)
    assert created is not None and created.active
    # jira-software-users (the new_users default) is the default group of the role the user is created
    # with: Jira puts them there, no POST /group/user needed
    assert "jira-software-users" in created.groups
    assert "POST /rest/api/2/group/user" not in writes, writes


def test_a_500_on_page_3_of_the_user_listing_fails_the_run_without_any_jira_write(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=1000, groups=10, apps=0, seed=5)
    world = make_world(okta, jira_sandbox(users=0, projects=0), store_url)
    okta.sandbox.control.faults.update(
        {"rules": [{"path": "/api/v1/users", "method": "GET", "skip": 2, "count": 1000, "status": 500}]}
    )

    report = world.sync()

    assert report.status is RunStatus.FAILED
    assert report.exit_code == 1
    assert report.error and "SourceReadError" in report.error
    assert world.jira_writes() == Counter()
    assert world.jira.sandbox.state.user_by_name("admin") is not None
    assert len(world.jira.sandbox.state.users) == 1
    assert world.store.runs("p", 1)[0].status == RunStatus.FAILED


def test_a_plan_over_the_deactivation_limit_is_refused_with_exit_3(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    world = make_world(okta, jira_sandbox(users=0, projects=0), store_url, max_deactivations=3)
    world.sync()
    active = [
        u.id for u in sorted(okta.sandbox.state.users.values(), key=lambda u: u.id) if u.status == "ACTIVE"
    ]
    with world.okta_api() as okta_api:
        for uid in active[:5]:
            okta_api.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()
    world.reset_counters()

    refused = world.sync()

    assert refused.status is RunStatus.REFUSED
    assert refused.exit_code == 3
    assert refused.guard is not None and "max_deactivations" in refused.guard.message
    assert "--allow-over-limit" in refused.guard.message
    assert world.jira_writes() == Counter()

    allowed = world.sync(allow_over_limit=True)
    assert allowed.status is RunStatus.SUCCEEDED
    assert world.jira_writes() == Counter({"PUT /rest/api/2/user": 5})


def test_deactivating_a_project_lead_hands_the_lead_over_first(world: World) -> None:
    world.sync()
    uid, username, _ = _user(world)
    project = sorted(world.jira.sandbox.state.projects)[0]
    with world.jira.client() as jira:
        jira.put(f"/rest/api/2/project/{project}", json={"lead": username}).raise_for_status()
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/suspend").raise_for_status()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, [r.error for r in report.results if r.error]
    assert report.plan is not None
    actions = [item.action for item in report.plan.items]
    assert Action.HAND_OVER_LEAD in actions and Action.DEACTIVATE_USER in actions
    lead_key = world.jira.sandbox.state.projects[project].lead
    assert world.jira.sandbox.state.users[lead_key].name == "admin"
    jira_user = world.jira.sandbox.state.user_by_name(username)
    assert jira_user is not None and not jira_user.active


def test_429s_from_both_sides_are_waited_out(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    from idsync.sandbox.okta.options import RateLimitOptions

    okta = okta_sandbox(
        users=300, groups=16, apps=0, seed=11,
        rate_limit=RateLimitOptions(buckets={"users": 1, "group": 8}, window_seconds=1),
    )  # fmt: skip
    jira = jira_sandbox(users=0, projects=0, rate_limit_requests=200, rate_limit_max=60)
    world = make_world(okta, jira, store_url)

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.converged()
    assert okta.sandbox.limiter.rejected > 0
    assert jira.sandbox.rate_limited > 0


def test_failed_jira_writes_are_reported_and_the_next_run_converges(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    jira = jira_sandbox(users=0, projects=0, seed=3)
    world = make_world(okta, jira, store_url, jira_retries=0)
    jira.sandbox.control.faults.update({"write_fail_rate": 0.1})

    first = world.sync()

    assert first.status is RunStatus.PARTIAL
    assert first.exit_code == 1
    failed = first.failed()
    assert failed and all(result.error for _, result in failed)
    assert world.store.run(first.run_id or "").items  # recorded with their errors

    jira.sandbox.control.faults.update({"write_fail_rate": 0.0})
    second = world.sync()
    assert second.status is RunStatus.SUCCEEDED, [r.error for r in second.results if r.error]
    assert world.converged()
    world.reset_counters()
    assert world.sync().status is RunStatus.NO_CHANGES
    assert world.jira_writes() == Counter()
