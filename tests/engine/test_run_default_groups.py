"""End to end over HTTP (Okta emulator → idsync → Jira emulator, real store): a default group for new
users that the manual mapping also manages is kept on every later run, for people who are not in the
mapped source group too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from idsync.config.loader import parse_config
from idsync.domain.plan import Action
from idsync.engine.run import Engine, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
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
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: manual
      mapping: {{"{engineering}": [jira-software-users, developers]}}
      keep_existing_memberships: {keep}
      default_groups: {{new_users: [jira-software-users]}}
    safety: {{max_membership_removals: 100000, max_deactivation_percent: 100}}
"""


def test_default_group_of_new_users_survives_the_next_runs(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str
) -> None:
    okta = okta_sandbox(users=40, groups=4, seed=5)
    jira = jira_sandbox(users=0, projects=0)
    state = okta.sandbox.state
    engineering_id, engineering = next(
        (gid, g.profile["name"]) for gid, g in sorted(state.groups.items()) if state.members[gid]
        and g.type == "OKTA_GROUP"
    )
    for keep in ("true", "false"):
        text = CONFIG.format(store_url=store_url, okta_url=okta.url, jira_url=jira.url,
                             engineering=engineering, keep=keep)
        config = parse_config(text, env={"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token})
        with Store.open(store_url) as store:
            engine = Engine(config, store)
            first = asyncio.run(engine.run(RunRequest("p")))
            assert first.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), first.error
            jira_state = jira.sandbox.state
            created = {u.name for u in jira_state.users.values() if u.name != "admin"}
            software = {jira_state.users[k].name for k in jira_state.groups["jira-software-users"].members}
            assert created and created <= software
            outside = {
                state.users[uid].profile["login"].split("@")[0].lower()
                for uid in state.users if uid not in state.members[engineering_id]
            } & created
            assert outside, "the generated data must have people outside the mapped group"

            second = asyncio.run(engine.run(RunRequest("p")))
            assert second.plan is not None
            removals = [i for i in second.plan.items if i.action is Action.REMOVE_MEMBER]
            assert removals == [], [f"{i.subject}: {i.reason}" for i in removals]
            software = {jira_state.users[k].name for k in jira_state.groups["jira-software-users"].members}
            assert created <= software
