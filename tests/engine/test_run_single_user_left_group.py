"""End to end over HTTP (Okta emulator → idsync → the Jira, Confluence and Crowd emulators, real store):
a single-user sync (`idsync user sync`, login sync, Okta Event Hooks) removes the person from a
managed target group they left in Okta, although its single-user read of Okta names only the groups
the person is in now (the target reports the person's current groups instead)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from idsync.config.loader import parse_config
from idsync.domain.plan import Action
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.fixtures.sandbox import RunningOkta

CONFIG = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{OKTA_TOKEN}}"}}
  target: {connection}
profiles:
  p:
    source: okta
    targets: [target]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {groups}
    safety: {{max_membership_removals: 100000, max_deactivation_percent: 100}}
"""


def _person_in_two_groups(okta: RunningOkta) -> tuple[str, str, str, str]:
    """(okta id, login, jira username, id of team-left) of an active person whom the Okta API puts
    in two new groups, team-left and team-kept."""
    state = okta.sandbox.state
    uid, user = next((uid, u) for uid, u in sorted(state.users.items()) if u.status == "ACTIVE")
    with okta.client() as api:
        ids = []
        for name in ("team-left", "team-kept"):
            created = api.post("/api/v1/groups", json={"profile": {"name": name}})
            created.raise_for_status()
            ids.append(created.json()["id"])
            api.put(f"/api/v1/groups/{ids[-1]}/users/{uid}").raise_for_status()
    login = user.profile["login"]
    return uid, login, login.split("@")[0].lower(), ids[0]


CONNECTIONS = {
    "jira": ("jira_sandbox", '{{type: jira, url: {url}, token: "${{TARGET_TOKEN}}"}}'),
    "confluence": ("confluence_sandbox", '{{type: confluence, url: {url}, token: "${{TARGET_TOKEN}}"}}'),
    "crowd": ("crowd_sandbox",
              '{{type: crowd, url: {url}, application: {app}, password: "${{TARGET_TOKEN}}"}}'),
}


def _target(request: pytest.FixtureRequest, kind: str) -> tuple[Any, str, str]:
    """(the running emulator, its connection YAML, its secret) for one target kind."""
    fixture, template = CONNECTIONS[kind]
    running = request.getfixturevalue(fixture)(users=0)
    app = getattr(running, "application", "")
    secret = running.password if kind == "crowd" else running.token
    return running, template.format(url=running.url, app=app), secret


def _writes(target: Any) -> Counter[str]:
    stats = target.sandbox.control.stats()
    return Counter({k: v for k, v in stats.items() if not k.startswith(("GET", "HEAD"))})


def _groups_of(target: Any, username: str) -> set[str]:
    """The names of the groups the emulator holds the user in."""
    state = target.sandbox.state
    user = state.user_by_name(username)
    assert user is not None
    return {state.groups[g].name for g in user.groups}


@pytest.mark.parametrize("kind", ["jira", "confluence", "crowd"])
@pytest.mark.parametrize("mode", ["on_the_fly", "manual"])
def test_single_user_sync_removes_a_managed_group_the_person_left(
    okta_sandbox: Callable[..., RunningOkta], request: pytest.FixtureRequest, store_url: str,
    mode: str, kind: str,
) -> None:
    okta = okta_sandbox(users=60, groups=8, seed=7)
    target, connection, secret = _target(request, kind)
    uid, login, username, left_id = _person_in_two_groups(okta)
    left, kept = ("team-left", "team-kept") if mode == "on_the_fly" else ("mapped-left", "mapped-kept")
    groups = ('{mode: on_the_fly, include: ["^team-"]}' if mode == "on_the_fly" else
              '{mode: manual, mapping: {team-left: [mapped-left], team-kept: [mapped-kept]}}')
    text = CONFIG.format(store_url=store_url, okta_url=okta.url, connection=connection, groups=groups)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "TARGET_TOKEN": secret})

    def run(**kw: str) -> RunReport:
        with Store.open(store_url) as store:
            return asyncio.run(Engine(config, store).run(RunRequest("p", **kw)))

    first = run()
    assert first.status is RunStatus.SUCCEEDED, first.error
    assert {left, kept} <= _groups_of(target, username)
    with okta.client() as api:
        api.delete(f"/api/v1/groups/{left_id}/users/{uid}").raise_for_status()
    if target.sandbox.control.middleware is not None:
        target.sandbox.control.middleware.requests.clear()

    report = run(user=login)

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None and report.plan.single_user == uid
    assert [(i.action, i.group) for i in report.plan.items] == [(Action.REMOVE_MEMBER, left)]
    assert "(single-user sync)" in report.plan.items[0].reason.detail
    writes = _writes(target)
    assert sum(writes.values()) == 1 and next(iter(writes)).startswith("DELETE "), writes
    if kind == "jira":
        assert writes == Counter({"DELETE /rest/api/2/group/user": 1})
    assert left not in _groups_of(target, username) and kept in _groups_of(target, username)
    assert run(user=login).status is RunStatus.NO_CHANGES
