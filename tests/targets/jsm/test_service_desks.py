"""The servicedeskapi client (targets/jsm) through JiraTarget (Data Center) and JiraCloudTarget against
the emulators over real HTTP: paging on isLastPage, the burst limit waited out, a desk whose customer
list the server lacks, a missing licence, unknown project keys, and a create that finds the e-mail
taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from idsync.config.connections import JiraCloudConnection, JiraConnection
from idsync.domain.customers import AccountQuery
from idsync.domain.errors import BadRequestError, ConfigError, StopSyncError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.records import Reason
from idsync.targets.jira import JiraTarget
from idsync.targets.jira_cloud.target import JiraCloudTarget
from tests.fixtures.jira_cloud import RunningJiraCloud
from tests.fixtures.sandbox import RunningJira

WHY = Reason("test", "by hand")


def dc(jira: RunningJira) -> JiraTarget:
    """A JiraTarget on the DC emulator."""
    fields = {"type": "jira", "url": jira.url, "token": jira.token}
    return JiraTarget("jira", JiraConnection.model_validate(fields))


def cloud(site: RunningJiraCloud, **extra: Any) -> JiraCloudTarget:
    """A JiraCloudTarget on the Cloud site emulator."""
    fields = {"type": "jira_cloud", "url": site.url, "email": site.email, "api_token": site.api_token,
              **extra}
    return JiraCloudTarget("jsm", JiraCloudConnection.model_validate(fields))


def create(email: str) -> PlanItem:
    """CREATE_CUSTOMER of `email`."""
    return PlanItem(Action.CREATE_CUSTOMER, "jsm", WHY, user=email, source_id="s1",
                    changes=(Change("email", None, email), Change("display_name", None, "Some One")))


def add(email: str, account: str | None = None) -> PlanItem:
    """ADD_CUSTOMER of `email` to ITH."""
    return PlanItem(Action.ADD_CUSTOMER, "jsm", WHY, user=email, user_key=account, source_id="s1",
                    group="ITH")


async def test_cloud_reads_every_page_and_waits_out_the_burst_limit(
    jira_cloud_sandbox: Callable[..., RunningJiraCloud],
) -> None:
    site = jira_cloud_sandbox(service_desks=("ITH",), customer_burst_per_second=2)
    desk = site.sandbox.state.desks[1]
    for n in range(7):
        account = site.sandbox.state.add_account(f"c{n}@example.com", f"C {n}", licensed=False)
        desk.customers.add(account.account_id)
    target = cloud(site, page_size=2)
    try:
        desks = await target.read_desks(frozenset({"ITH"}))
    finally:
        await target.aclose()
    ith = desks["ITH"]
    assert ith is not None and ith.customers == frozenset(desk.customers)
    assert site.sandbox.rate_limited >= 1, "4 pages at 2 a second meet the bucket; the 429 was waited out"
    assert target.desks.http.rate_limited == site.sandbox.rate_limited


async def test_cloud_create_adopts_the_portal_only_account_that_has_the_email(
    jira_cloud_sandbox: Callable[..., RunningJiraCloud],
) -> None:
    site = jira_cloud_sandbox(service_desks=("ITH",))
    existing = site.sandbox.state.add_account("fred@example.com", "Fred", licensed=False)
    agent = site.sandbox.state.add_account("carl@example.com", "Carl", licensed=True)
    target = cloud(site)
    try:
        adopted = await target.execute(create("fred@example.com"))
        added = await target.execute(add("fred@example.com"))
        with pytest.raises(BadRequestError, match="licensed"):
            await target.execute(create("carl@example.com"))
        accounts = await target.read_accounts(AccountQuery(frozenset({"carl@example.com"}), frozenset()))
    finally:
        await target.aclose()
    assert adopted == added == existing.account_id
    assert site.sandbox.state.desks[1].customers == {existing.account_id}
    assert [a.licensed for a in accounts.by_email["carl@example.com"]] == [True]
    assert agent.account_id not in site.sandbox.state.desks[1].customers


async def test_dc_without_the_customer_list_reports_it_unknown(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(service_desks=("ITH",), desk_customer_listing=False)
    target = dc(jira)
    try:
        desks = await target.read_desks(frozenset({"ITH"}))
        made = await target.execute(create("fred@example.com"))
        taken = await target.execute(create("FRED@example.com"))
        added = await target.execute(add("fred@example.com"))
    finally:
        await target.aclose()
    ith = desks["ITH"]
    assert ith is not None and ith.customers is None, "a 405 means unknown, never 'no customers'"
    assert made == taken == added == "fred@example.com"
    fred = jira.sandbox.state.user_by_name("fred@example.com")
    assert fred is not None and jira.sandbox.state.service_desks[1].customers == {fred.key}


async def test_dc_unknown_project_keys_name_the_desks_there(jira_sandbox: Callable[..., RunningJira]) -> None:
    target = dc(jira_sandbox(service_desks=("ITH", "HR")))
    try:
        expected = r"XYZ with no service desk in 'jira'; service desks there: HR, ITH"
        with pytest.raises(ConfigError, match=expected):
            await target.read_desks(frozenset({"ITH", "XYZ"}))
    finally:
        await target.aclose()


async def test_dc_unlicensed_jsm_stops_with_a_message_about_the_licence(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    target = dc(jira_sandbox(service_desks=("ITH",), jsm_licensed=False))
    try:
        with pytest.raises(StopSyncError, match="installed and licensed"):
            await target.read_desks(frozenset({"ITH"}))
    finally:
        await target.aclose()


async def test_dc_accounts_say_who_has_application_access(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(service_desks=("ITH",))
    target = dc(jira)
    try:
        await target.execute(create("fred@example.com"))
        found = await target.read_accounts(AccountQuery(frozenset({"fred@example.com", "admin@example.com"}),
                                                        frozenset({"admin", "nobody"})))
    finally:
        await target.aclose()
    fred = found.by_email["fred@example.com"]
    assert [(a.account, a.licensed) for a in fred] == [("fred@example.com", False)]
    assert [(a.account, a.licensed) for a in found.by_email["admin@example.com"]] == [("admin", True)]
    assert found.by_account["admin"].detail == "application access: jira-servicedesk, jira-software"
    assert "nobody" not in found.by_account


async def test_cloud_check_names_the_account_and_counts_desks(
    jira_cloud_sandbox: Callable[..., RunningJiraCloud],
) -> None:
    site = jira_cloud_sandbox(service_desks=("ITH", "HR"))
    target = cloud(site)
    try:
        text = await target.check()
    finally:
        await target.aclose()
    assert text == f"Jira Cloud at {site.url}: authenticated as Site Admin, 2 service desks"
