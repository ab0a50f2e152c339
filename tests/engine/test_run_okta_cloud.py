"""End to end over HTTP: the sandbox Okta → idsync → the Atlassian Cloud emulator (SQLite and
PostgreSQL): initial sync, a resync that writes nothing, each kind of change as exactly the expected
requests (memberships in batched PATCHes), an existing account linked on 409, an unverified domain as a
per-user error, a group renamed in Okta replaced (Cloud cannot rename), the per-group limit refused
before apply with the override named, 429s waited out; and one rule set into Jira DC and Cloud."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from idsync.config.model import IdsyncConfig
from idsync.domain.plan import Action, Outcome
from idsync.engine.run import RunReport
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.engine.okta_world import INCLUDE, OktaWorld, load_config
from tests.fixtures.cloud import CloudFactory, RunningCloud
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{OKTA_TOKEN}}"}}
  cloud:
    type: atlassian_cloud
    url: {cloud_url}
    token: "${{CLOUD_KEY}}"
    max_group_members: {max_members}
  jira: {{type: jira, url: {jira_url}, token: "${{JIRA_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: {targets}
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {{mode: on_the_fly, include: ["{include}"]}}
    safety: {{max_deactivations: 1000, max_deactivation_percent: 100, max_membership_removals: 100000}}
"""


@dataclass
class CloudWorld(OktaWorld):
    """The Okta emulator, the Cloud emulator (and a Jira emulator for the two-target profile)."""

    okta: RunningOkta
    cloud: RunningCloud
    config: IdsyncConfig
    store: Store
    jira: RunningJira | None = None
    reports: list[RunReport] = field(default_factory=list)

    def target_control(self) -> SandboxControl:
        return self.cloud.sandbox.control

    def writes(self) -> Counter[str]:
        return Counter(self.cloud.writes())

    def cloud_users(self) -> dict[str, bool]:
        """userName → active, of the directory's users."""
        return {u.user_name.lower(): u.active for u in self.cloud.sandbox.state.users.values()}

    def cloud_groups(self) -> dict[str, set[str]]:
        state = self.cloud.sandbox.state
        return {g.display_name.lower(): {state.users[m].user_name.lower() for m in g.members}
                for g in state.groups.values()}

    def converged(self) -> bool:
        active = {name for name, on in self.cloud_users().items() if on}
        if active != self.expected_active():
            return False
        groups = self.cloud_groups()
        exist = set(self.cloud_users())
        return all(groups.get(name) == members & exist for name, members in self.expected_groups().items())


def _world(okta: RunningOkta, cloud: RunningCloud, store_url: str, *, jira: RunningJira | None = None,
           max_members: int = 35_000) -> CloudWorld:
    targets = "[jira, cloud]" if jira is not None else "[cloud]"
    env = {"CLOUD_KEY": cloud.token, "JIRA_TOKEN": jira.token if jira else "unused"}
    config, store = load_config(CONFIG, okta, store_url, env, cloud_url=cloud.url, targets=targets,
                                jira_url=jira.url if jira else "http://127.0.0.1:9", max_members=max_members)
    return CloudWorld(okta, cloud, config, store, jira)


@pytest.fixture
def world(
    okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory, store_url: str
) -> CloudWorld:
    okta = okta_sandbox(users=60, groups=16, seed=11)
    return _world(okta, cloud_sandbox(users=0), store_url)


def _member(world: CloudWorld) -> tuple[str, str, str]:
    """(okta id, username, managed group name) of an active user in a managed group."""
    state = world.okta.sandbox.state
    for gid, group in sorted(state.groups.items()):
        if re.search(INCLUDE, group.profile["name"]):
            for uid in sorted(state.members[gid]):
                if state.users[uid].status == "ACTIVE":
                    return uid, world.okta_username(uid), gid
    raise AssertionError("no active member of a managed group")


def test_initial_sync_then_a_resync_that_writes_nothing(world: CloudWorld) -> None:
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.converged()
    writes = world.writes()
    memberships = sum(len(m) for m in world.expected_groups().values())
    groups = len(world.expected_groups())
    patches = sum(n for k, n in writes.items() if k.startswith("PATCH") and "/Groups/" in k)
    assert patches <= memberships / 100 + groups, writes
    assert writes["POST /Users"] == len(world.expected_active())

    world.reset_counters()
    again = world.sync()
    assert again.status is RunStatus.NO_CHANGES, again.error
    assert world.writes() == Counter()


def test_each_kind_of_change_is_exactly_its_requests(world: CloudWorld) -> None:
    assert world.sync().status is RunStatus.SUCCEEDED
    uid, username, gid = _member(world)
    with world.okta_api() as okta:
        renamed = {"profile": {"displayName": "Renamed Person"}}
        okta.post(f"/api/v1/users/{uid}", json=renamed).raise_for_status()
    world.reset_counters()
    assert world.sync().status is RunStatus.SUCCEEDED
    assert world.writes() == Counter({"PATCH /Users/{user_id}": 1})

    with world.okta_api() as okta:
        okta.delete(f"/api/v1/groups/{gid}/users/{uid}").raise_for_status()
    world.reset_counters()
    assert world.sync().status is RunStatus.SUCCEEDED
    assert world.writes() == Counter({"PATCH /Groups/{group_id}": 1})

    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}/lifecycle/deactivate").raise_for_status()
    world.reset_counters()
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED
    assert [i.action for i in report.plan.items] == [Action.DEACTIVATE_USER]
    # deactivated with active:false (the account keeps its groups), never DELETE
    assert world.writes() == Counter({"PATCH /Users/{user_id}": 1})
    assert world.cloud_users()[username] is False
    assert world.converged()


def test_an_existing_account_with_the_same_email_is_linked_on_409(world: CloudWorld) -> None:
    uid, username, _ = _member(world)
    email = str(world.okta.sandbox.state.users[uid].profile["email"])
    with world.cloud.client() as http:
        existing = http.post("Users", json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"old-{username}",
            "emails": [{"value": email, "type": "work", "primary": True}], "active": True})
        existing.raise_for_status()
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    link = next(link for link in world.store.links("p", "cloud").values() if link.source_id == uid)
    assert link.target_key == existing.json()["id"]
    assert sum(1 for u in world.cloud.sandbox.state.users.values()
               if str(u.document.get("emails", [{}])[0].get("value")).lower() == email.lower()) == 1


def test_an_unverified_domain_is_a_per_user_error(world: CloudWorld) -> None:
    uid, username, _ = _member(world)
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}",
                  json={"profile": {"email": f"{username}@elsewhere.org"}}).raise_for_status()
    report = world.sync()
    assert report.status is RunStatus.PARTIAL
    failed = [(report.plan.items[r.index], r) for r in report.results if r.outcome is Outcome.FAILED]
    assert [(i.action, i.user) for i, _ in failed] == [(Action.CREATE_USER, username)]
    error = failed[0][1].error or ""
    assert "elsewhere.org" in error and "verified" in error and failed[0][1].attempts == 1
    assert len(world.cloud_users()) == len(world.expected_active()) - 1


def test_a_group_renamed_in_okta_is_created_moved_and_removed(world: CloudWorld) -> None:
    assert world.sync().status is RunStatus.SUCCEEDED
    _, _, gid = _member(world)
    old = world.okta.sandbox.state.groups[gid].profile["name"]
    new = f"{old}-renamed"
    members = world.cloud_groups()[old.lower()]
    with world.okta_api() as okta:
        renamed = {"profile": {"name": new, "description": ""}}
        okta.put(f"/api/v1/groups/{gid}", json=renamed).raise_for_status()
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    counts = report.plan.counts()
    assert (counts[Action.CREATE_GROUP], counts[Action.DELETE_GROUP]) == (1, 1)
    assert counts[Action.ADD_MEMBER] == len(members)
    delete = next(i for i in report.plan.items if i.action is Action.DELETE_GROUP)
    assert delete.group == old and "cannot rename groups" in delete.reason.detail
    groups = world.cloud_groups()
    assert old.lower() not in groups and groups[new.lower()] == members
    created = next(g for g in world.cloud.sandbox.state.groups.values() if g.display_name == new)
    assert created.external_id == gid
    assert world.sync().status is RunStatus.NO_CHANGES


def test_the_per_group_limit_refuses_before_any_write_naming_the_override(
    okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory, store_url: str,
) -> None:
    okta = okta_sandbox(users=60, groups=16, seed=11)
    world = _world(okta, cloud_sandbox(users=0), store_url, max_members=3)
    report = world.sync()
    assert report.status is RunStatus.REFUSED and report.exit_code == 3
    assert "over its limit of 3" in (report.error or "") and "--allow-over-limit" in (report.error or "")
    assert world.writes() == Counter()
    lifted = world.sync(allow_over_limit=True)
    assert lifted.status is RunStatus.SUCCEEDED, lifted.error


def test_429s_are_waited_out(okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory,
                             store_url: str) -> None:
    okta = okta_sandbox(users=10, groups=4, seed=11)
    # met at once by 4 requests in flight; each 429 waits the whole second Retry-After says
    cloud = cloud_sandbox(users=0, rate_limit=30.0, rate_limit_burst=3)
    world = _world(okta, cloud, store_url)
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.converged()
    limiter = cloud.sandbox.auth.limiter
    assert limiter is not None and limiter.rejected > 0


def test_one_rule_set_into_jira_and_cloud_ends_equivalent(
    okta_sandbox: Callable[..., RunningOkta], cloud_sandbox: CloudFactory,
    jira_sandbox: Callable[..., RunningJira], store_url: str,
) -> None:
    okta = okta_sandbox(users=60, groups=16, seed=5)
    jira = jira_sandbox(users=0, projects=1, seed=5)
    world = _world(okta, cloud_sandbox(users=0), store_url, jira=jira)
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    by_target = report.plan.by_target()
    assert set(by_target) == {"jira", "cloud"}
    assert world.converged()
    jira_state = jira.sandbox.state
    jira_active = {u.name for u in jira_state.users.values() if u.active and u.name != "admin"}
    assert jira_active == world.expected_active() == {n for n, on in world.cloud_users().items() if on}
    cloud_groups = world.cloud_groups()
    exist = set(world.cloud_users())
    assert exist == {u.name for u in jira_state.users.values() if u.name != "admin"}
    for name, members in world.expected_groups().items():
        jira_members = {jira_state.users[k].name for k in jira_state.groups[name].members}
        assert jira_members == cloud_groups[name] == members & exist
