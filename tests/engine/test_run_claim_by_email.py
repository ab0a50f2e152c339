"""Claiming by e-mail against Jira 10, whose user search returns at most 100 matches: a search cut
by that cap is never taken as "no such user" (which would create a duplicate). End to end over HTTP:
the Okta emulator → idsync → the Jira 10 emulator, real store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from idsync.config.loader import parse_config
from idsync.domain.plan import Action
from idsync.engine.run import Engine, RunRequest
from idsync.store import Store
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira_url}, token: "${{JIRA_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      match_existing_by: email
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {{mode: none}}
"""
EMAIL = "ann@x.io"


def _setup(okta: RunningOkta, jira: RunningJira, *, real_active: bool, inactive_decoys: int = 0) -> None:
    """One Okta person with EMAIL; in Jira, 150 users whose e-mails start with EMAIL and sort first
    (the last `inactive_decoys` of them inactive), then the real holder of EMAIL (active or not)
    beyond the 100 matches Jira 10 returns."""
    with okta.client() as http:
        created = http.post("/api/v1/users", params={"activate": "true"}, json={"profile": {
            "login": "ann.lee@corp.example", "email": EMAIL, "firstName": "Ann", "lastName": "Lee"},
            "credentials": {"password": {"value": "Tr0ub4dor-and-3"}}})
        assert created.status_code == 200, created.text
        assert created.json()["status"] == "ACTIVE"
    state = jira.sandbox.state
    now = datetime.now(UTC)
    for n in range(150):
        state.add_user(f"decoy{n:03}", f"Ann Decoy {n:03}", f"{EMAIL}.d{n:03}", now,
                       active=n < 150 - inactive_decoys)
    state.add_user("zz-ann", "Zz Ann", EMAIL, now, active=real_active)


def _plan(okta: RunningOkta, jira: RunningJira, store_url: str) -> list[tuple[str, str]]:
    text = CONFIG.format(store_url=store_url, okta_url=okta.url, jira_url=jira.url)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token})
    with Store.open(store_url) as store:
        report = asyncio.run(Engine(config, store).run(RunRequest("p")))
    assert report.plan is not None
    items = [(i.action.value, i.user or "") for i in report.plan.items]
    return items + [("dispute", d.detail) for d in report.plan.disputes]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_capped_search_is_a_dispute_not_a_duplicate(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str
) -> None:
    okta, jira = okta_sandbox(users=0, groups=0, apps=0), jira_sandbox(users=0, projects=0, version=10)
    _setup(okta, jira, real_active=True)
    outcome = _plan(okta, jira, store_url)
    assert (Action.CREATE_USER.value, "ann.lee") not in outcome
    assert [kind for kind, _ in outcome] == ["dispute"]
    assert "returned as many matches as it ever returns" in outcome[0][1]
    assert jira.sandbox.state.user_by_name("ann.lee") is None


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_narrowed_search_finds_the_inactive_holder_and_claims_it(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str
) -> None:
    okta, jira = okta_sandbox(users=0, groups=0, apps=0), jira_sandbox(users=0, projects=0, version=10)
    # 150 + 1 matches in all (cut at 100), but 75 active and 76 inactive: each narrowed search is whole
    _setup(okta, jira, real_active=False, inactive_decoys=75)
    outcome = _plan(okta, jira, store_url)
    assert (Action.LINK_USER.value, "zz-ann") in outcome
    assert (Action.CREATE_USER.value, "ann.lee") not in outcome
