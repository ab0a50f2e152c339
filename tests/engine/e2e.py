"""Helpers for the end-to-end tests: a sandbox Okta, a sandbox Jira, a store and a config, all real,
and the expected Jira state computed independently from the Okta emulator's state."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from tests.fixtures.sandbox import RunningJira, RunningOkta

ACTIVE = {"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"}
INCLUDE = r"^team-"

CONFIG = """
database: {store_url}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
    {okta_extra}
  jira:
    type: jira
    url: {jira_url}
    token: ${{JIRA_TOKEN}}
    retries: {jira_retries}
profiles:
  p:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
    groups:
      mode: on_the_fly
      include: ["{include}"]
      default_groups: {{new_users: [jira-software-users]}}
    leads: {{default_project_lead: admin, default_component_lead: admin}}
    safety:
      max_deactivations: {max_deactivations}
      max_deactivation_percent: 100
      max_membership_removals: 100000
      protected_users: [admin]
"""


@dataclass
class World:
    """Everything one end-to-end test needs."""

    okta: RunningOkta
    jira: RunningJira
    config: IdsyncConfig
    store: Store
    reports: list[RunReport] = field(default_factory=list)

    def sync(self, **request: Any) -> RunReport:
        """One real run of profile `p`, as `idsync sync` does it."""
        report = asyncio.run(Engine(self.config, self.store).run(RunRequest("p", **request)))
        self.reports.append(report)
        return report

    def okta_api(self) -> Any:
        """An httpx client on the Okta emulator (the admin's token)."""
        return self.okta.client()

    def jira_writes(self) -> Counter[str]:
        """Write requests the Jira emulator served since the last `reset_counters`."""
        stats = self.jira.sandbox.control.stats()
        return Counter({k: v for k, v in stats.items() if not k.startswith(("GET", "HEAD"))})

    def reset_counters(self) -> None:
        """Zero both emulators' request counters."""
        for control in (self.jira.sandbox.control, self.okta.sandbox.control):
            if control.middleware is not None:
                control.middleware.requests.clear()

    # -- the expected target state, computed from the Okta emulator's own data ----------------------

    def expected_active(self) -> set[str]:
        """Usernames of the Okta users that must be active in Jira (every active Okta user)."""
        state = self.okta.sandbox.state
        return {u.profile["login"].split("@")[0].lower() for u in state.users.values() if u.status in ACTIVE}

    def expected_groups(self) -> dict[str, set[str]]:
        """Jira group → usernames, for the groups the profile manages."""
        state = self.okta.sandbox.state
        result: dict[str, set[str]] = {}
        for group_id, group in state.groups.items():
            if not re.search(INCLUDE, group.profile["name"]):
                continue
            result[group.profile["name"].lower()] = {
                state.users[uid].profile["login"].split("@")[0].lower() for uid in state.members[group_id]
            }
        return result

    def jira_active(self) -> set[str]:
        """Active usernames in the Jira emulator (without the admin)."""
        return {u.name for u in self.jira.sandbox.state.users.values() if u.active and u.name != "admin"}

    def converged(self) -> bool:
        """Jira holds exactly what the rules say: active users and the members of managed groups.
        (A user idsync deactivated keeps their memberships, as Jira does.)"""
        if self.jira_active() != self.expected_active():
            return False
        jira_groups = self.jira.sandbox.state.groups
        for group, members in self.expected_groups().items():
            if group not in jira_groups or self.jira_members(group) != members & self.created():
                return False
        return True

    def created(self) -> set[str]:
        """Usernames that exist in Jira."""
        return {u.name for u in self.jira.sandbox.state.users.values()}

    def jira_members(self, group: str) -> set[str]:
        """Usernames in a Jira group."""
        state = self.jira.sandbox.state
        return {state.users[key].name for key in state.groups[group.lower()].members}


def make_world(
    okta: RunningOkta,
    jira: RunningJira,
    store_url: str,
    *,
    app_id: str | None = None,
    jira_retries: int = 5,
    max_deactivations: int = 1000,
) -> World:
    """A config for the two emulators, parsed by the real loader, and an opened store."""
    text = CONFIG.format(
        store_url=store_url,
        okta_url=okta.url,
        jira_url=jira.url,
        okta_extra=f"app_id: {app_id}" if app_id else "",
        jira_retries=jira_retries,
        include=INCLUDE,
        max_deactivations=max_deactivations,
    )
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token})
    return World(okta, jira, config, Store.open(store_url))
