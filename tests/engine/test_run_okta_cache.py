"""The engine gives Okta sources the store's group-membership cache (issue 3): a second run reads no
group's members when nothing changed, a change is still synced, and a failed read writes no cache.
Real emulators over HTTP, real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from idsync.store.records import RunStatus
from tests.engine.e2e import make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

OktaFactory = Callable[..., RunningOkta]
JiraFactory = Callable[..., RunningJira]
MEMBERS = "GET /api/v1/groups/{group}/users"


def test_second_run_reads_no_members_and_a_removal_is_still_synced(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=150, groups=16, apps=0, seed=11)
    world = make_world(okta, jira_sandbox(users=0, projects=2, seed=11), store_url)
    state = okta.sandbox.state
    assert world.sync().status is RunStatus.SUCCEEDED
    assert set(world.store.group_members_cache("okta")) == set(state.groups)

    world.reset_counters()
    assert world.sync().status is RunStatus.NO_CHANGES
    assert okta.sandbox.control.stats().get(MEMBERS, 0) == 0

    group_id, leaver = next(
        (gid, uid)
        for gid, g in sorted(state.groups.items())
        if g.profile["name"].startswith("team-")
        for uid in sorted(state.members[gid])
        if state.users[uid].status == "ACTIVE"
    )
    with world.okta_api() as api:
        api.delete(f"/api/v1/groups/{group_id}/users/{leaver}").raise_for_status()
    world.reset_counters()
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    # between full reads the removal comes from the System Log, checked against the group's member
    # count (idsync.sources.okta.logged): no member page is read, and the removal is still synced
    assert okta.sandbox.control.stats().get(MEMBERS, 0) == 0
    assert world.converged()
    assert world.jira_writes() == Counter({"DELETE /rest/api/2/group/user": 1})


def test_a_failed_read_writes_no_cache(
    okta_sandbox: OktaFactory, jira_sandbox: JiraFactory, store_url: str
) -> None:
    okta = okta_sandbox(users=300, groups=6, apps=0, seed=5)
    world = make_world(okta, jira_sandbox(users=0, projects=0), store_url)
    okta.sandbox.control.faults.update(
        {"rules": [{"path": "/api/v1/users", "method": "GET", "skip": 1, "count": 1000, "status": 500}]}
    )
    assert world.sync().status is RunStatus.FAILED
    assert world.store.group_members_cache("okta") == {}
