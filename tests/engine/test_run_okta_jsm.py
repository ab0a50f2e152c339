"""End to end over HTTP: the sandbox Okta → idsync → Jira Service Management portal customers, on the
Jira Data Center emulator and on the Jira Cloud site emulator, with a real store (SQLite and
PostgreSQL). Members of the mapped Okta group become customers of the service desk and leave it
when they leave the group; an agent in the group is never touched; a second run writes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.domain.plan import Action, Outcome
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultRule
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.fixtures.jira_cloud import RunningJiraCloud
from tests.fixtures.sandbox import RunningJira, RunningOkta

GROUP = "jsm-customers"
PEOPLE = {"ann": "Ann Archer", "bob": "Bob Baker", "carl": "Carl Agent"}
"""Okta people in GROUP; carl is an agent in the service desk's Jira."""

CONFIG = """
database: {store_url}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
{desk_connection}
profiles:
  p:
    source: okta
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    service_desks:
      connection: desks
      mapping:
        {group}: [ITH]
    safety:
      max_membership_removals: {max_removals}
"""
DC_CONNECTION = """  desks:
    type: jira
    url: {url}
    token: ${{DESK_SECRET}}
"""
CLOUD_CONNECTION = """  desks:
    type: jira_cloud
    url: {url}
    email: {email}
    api_token: ${{DESK_SECRET}}
"""


def email(name: str) -> str:
    """The e-mail of one of PEOPLE."""
    return f"{name}@corp.example"


@dataclass
class JsmWorld:
    """Okta, one service-desk emulator (DC or Cloud), a config and a store."""

    flavour: str
    okta: RunningOkta
    desk: RunningJira | RunningJiraCloud
    config: IdsyncConfig
    store: Store
    people: dict[str, str] = field(default_factory=dict)
    """Name → Okta user id."""
    group_id: str = ""
    reports: list[RunReport] = field(default_factory=list)

    def sync(self) -> RunReport:
        """One real run of profile `p`."""
        report = asyncio.run(Engine(self.config, self.store).run(RunRequest("p")))
        self.reports.append(report)
        return report

    def control(self) -> SandboxControl:
        """The desk emulator's control (request counters)."""
        return self.desk.sandbox.control

    def writes(self) -> Counter[str]:
        """Write requests the desk emulator served since the last reset."""
        return Counter({k: v for k, v in self.control().stats().items() if not k.startswith(("GET", "HEAD"))})

    def reset_counters(self) -> None:
        """Zero the desk emulator's request counters."""
        if self.control().middleware is not None:
            self.control().middleware.requests.clear()

    def customers(self) -> set[str]:
        """E-mails of the ITH desk's customers."""
        if isinstance(self.desk, RunningJiraCloud):
            state = self.desk.sandbox.state
            return {state.accounts[a].email for a in state.desks[1].customers}
        jira = self.desk.sandbox.state
        return {jira.users[k].email for k in jira.service_desks[1].customers}

    def leave_group(self, name: str) -> None:
        """Take one of PEOPLE out of the mapped Okta group."""
        with self.okta.client() as http:
            http.delete(f"/api/v1/groups/{self.group_id}/users/{self.people[name]}").raise_for_status()


def _okta_people(okta: RunningOkta) -> tuple[dict[str, str], str]:
    ids: dict[str, str] = {}
    with okta.client() as http:
        group = http.post("/api/v1/groups", json={"profile": {"name": GROUP}}).json()["id"]
        for name, display in PEOPLE.items():
            first, last = display.split()
            created = http.post("/api/v1/users", params={"activate": "true"}, json={"profile": {
                "login": email(name), "email": email(name), "firstName": first, "lastName": last,
                "displayName": display}, "credentials": {"password": {"value": "Tr0ub4dor-and-3"}}})
            assert created.status_code == 200, created.text
            ids[name] = created.json()["id"]
            http.put(f"/api/v1/groups/{group}/users/{ids[name]}").raise_for_status()
    return ids, group


def _agent_dc(jira: RunningJira) -> None:
    """carl, a Jira Service Management agent (in jira-servicedesk-users), created over REST."""
    with jira.client() as http:
        http.post("/rest/api/2/user", json={"name": "carl", "emailAddress": email("carl"),
                                           "displayName": "Carl Agent",
                                           "applicationKeys": ["jira-servicedesk"]}).raise_for_status()
        user = http.get("/rest/api/2/user", params={"username": "carl", "expand": "groups"}).json()
        groups = user["groups"]
        if "jira-servicedesk-users" not in {g["name"] for g in groups["items"]}:
            http.post("/rest/api/2/group/user", params={"groupname": "jira-servicedesk-users"},
                      json={"name": "carl"}).raise_for_status()


def make_world(
    flavour: str, okta: RunningOkta, desk: Any, store_url: str, max_removals: int = 500
) -> JsmWorld:
    """The config for Okta and the desk emulator, parsed by the real loader, and an opened store."""
    if flavour == "dc":
        connection, secret = DC_CONNECTION.format(url=desk.url), desk.token
    else:
        connection, secret = CLOUD_CONNECTION.format(url=desk.url, email=desk.email), desk.api_token
    text = CONFIG.format(store_url=store_url, okta_url=okta.url, desk_connection=connection, group=GROUP,
                         max_removals=max_removals)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "DESK_SECRET": secret})
    people, group = _okta_people(okta)
    return JsmWorld(flavour, okta, desk, config, Store.open(store_url), people, group)


Factory = Callable[..., Any]


@pytest.fixture(params=["dc", "cloud"])
def world(request: pytest.FixtureRequest, okta_sandbox: Factory, jira_sandbox: Factory,
          jira_cloud_sandbox: Factory, store_url: str) -> JsmWorld:
    """Okta with ann, bob and carl in GROUP; a service desk ITH where carl is an agent."""
    okta = okta_sandbox()
    if request.param == "dc":
        desk = jira_sandbox(service_desks=("ITH",))
        _agent_dc(desk)
    else:
        desk = jira_cloud_sandbox(service_desks=("ITH",))
        desk.sandbox.state.add_account(email("carl"), "Carl Agent", licensed=True)
    return make_world(request.param, okta, desk, store_url)


def test_members_become_customers_and_the_agent_is_untouched(world: JsmWorld) -> None:
    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    counts = report.plan.counts()
    assert counts[Action.CREATE_CUSTOMER] == 2 and counts[Action.ADD_CUSTOMER] == 2
    assert all(r.outcome is Outcome.APPLIED for r in report.results)
    assert world.customers() == {email("ann"), email("bob")}
    assert any("carl" in note and "agent or licensed" in note for note in report.plan.notes)
    reasons = {i.reason.detail for i in report.plan.items if i.action is Action.ADD_CUSTOMER}
    assert reasons == {f"member of source group {GROUP!r} mapped to service desk ITH"}


def test_second_run_makes_zero_writes(world: JsmWorld) -> None:
    world.sync()
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.NO_CHANGES, report.error
    assert world.writes() == Counter()


def test_leaving_the_group_removes_the_customer_from_the_desk(world: JsmWorld) -> None:
    world.sync()
    world.leave_group("bob")
    world.leave_group("carl")
    world.reset_counters()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    assert [(i.action, i.user, i.group) for i in report.plan.items] == [
        (Action.REMOVE_CUSTOMER, email("bob"), "ITH")
    ]
    assert world.writes() == Counter({"DELETE /rest/servicedeskapi/servicedesk/{desk}/customer": 1})
    assert world.customers() == {email("ann")}
    assert world.sync().status is RunStatus.NO_CHANGES


def test_a_customer_back_in_the_group_is_added_again(world: JsmWorld) -> None:
    world.sync()
    world.leave_group("bob")
    world.sync()
    with world.okta.client() as http:
        http.put(f"/api/v1/groups/{world.group_id}/users/{world.people['bob']}").raise_for_status()

    report = world.sync()

    assert report.plan is not None
    assert [(i.action, i.user) for i in report.plan.items] == [(Action.ADD_CUSTOMER, email("bob"))]
    assert world.customers() == {email("ann"), email("bob")}


def test_customer_removals_count_against_the_membership_removal_limit(
    okta_sandbox: Factory, jira_sandbox: Factory, store_url: str
) -> None:
    desk = jira_sandbox(service_desks=("ITH",))
    _agent_dc(desk)
    world = make_world("dc", okta_sandbox(), desk, store_url, max_removals=1)
    world.sync()
    world.leave_group("ann")
    world.leave_group("bob")

    report = world.sync()

    assert report.status is RunStatus.REFUSED
    assert report.guard is not None and "max_membership_removals" in report.guard.message
    assert world.customers() == {email("ann"), email("bob")}


def test_dc_without_customer_listing_adds_but_reports_removal_as_not_possible(
    okta_sandbox: Factory, jira_sandbox: Factory, store_url: str
) -> None:
    desk = jira_sandbox(service_desks=("ITH",), desk_customer_listing=False)
    _agent_dc(desk)
    world = make_world("dc", okta_sandbox(), desk, store_url)
    first = world.sync()
    world.reset_counters()
    again = world.sync()
    world.leave_group("bob")

    report = world.sync()

    assert first.status is RunStatus.SUCCEEDED and world.customers() == {email("ann"), email("bob")}
    assert again.status is RunStatus.NO_CHANGES and world.writes() == Counter()
    assert report.status is RunStatus.NO_CHANGES
    assert report.plan is not None
    assert any("bob" in n and "no way to list or remove" in n for n in report.plan.notes)
    assert world.customers() == {email("ann"), email("bob")}


def test_an_unknown_project_key_is_named_and_nothing_is_written(
    okta_sandbox: Factory, jira_sandbox: Factory, store_url: str
) -> None:
    desk = jira_sandbox(service_desks=("HR",))
    world = make_world("dc", okta_sandbox(), desk, store_url)

    report = world.sync()

    assert report.status is RunStatus.PARTIAL
    assert report.error is not None and "ITH" in report.error and "HR" in report.error
    assert world.writes() == Counter()


def test_a_failed_customer_creation_skips_its_adds_and_the_next_run_converges(world: JsmWorld) -> None:
    world.control().faults.rules = [
        FaultRule(path="/rest/servicedeskapi/customer", method="POST", count=1, status=500)
    ]

    first = world.sync()
    world.control().faults.rules = []
    second = world.sync()

    assert first.status is RunStatus.PARTIAL and first.plan is not None
    outcomes = Counter((first.plan.items[r.index].action, r.outcome) for r in first.results)
    assert outcomes == Counter({(Action.CREATE_CUSTOMER, Outcome.FAILED): 1,
                                (Action.CREATE_CUSTOMER, Outcome.APPLIED): 1,
                                (Action.ADD_CUSTOMER, Outcome.SKIPPED): 1,
                                (Action.ADD_CUSTOMER, Outcome.APPLIED): 1})
    assert second.status is RunStatus.SUCCEEDED, second.error
    assert world.customers() == {email("ann"), email("bob")}


COMBINED = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira_url}, token: "${{DESK_SECRET}}"}}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {{mode: none}}
    service_desks: {{connection: jira, mapping: {{{group}: [ITH]}}}}
"""


def test_people_the_profile_syncs_as_licensed_jira_users_are_not_made_customers(
    okta_sandbox: Factory, jira_sandbox: Factory, store_url: str
) -> None:
    okta, jira = okta_sandbox(), jira_sandbox(service_desks=("ITH",))
    _okta_people(okta)
    text = COMBINED.format(store_url=store_url, okta_url=okta.url, jira_url=jira.url, group=GROUP)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "DESK_SECRET": jira.token})
    with Store.open(store_url) as store:
        first = asyncio.run(Engine(config, store).run(RunRequest("p")))
        second = asyncio.run(Engine(config, store).run(RunRequest("p")))

    assert first.status is RunStatus.SUCCEEDED, first.error
    assert first.plan is not None and second.plan is not None
    assert first.plan.counts()[Action.CREATE_USER] == 3
    assert not any(i.action in (Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER)
                   for plan in (first.plan, second.plan) for i in plan.items)
    assert sum("gets a user in jira from this plan" in n for n in first.plan.notes) == 3
    licensed = "agent or licensed user (application access: jira-software)"
    assert sum(licensed in n for n in second.plan.notes) == 3
    assert jira.sandbox.state.service_desks[1].customers == set()
