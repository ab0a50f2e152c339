"""Helpers for the end-to-end tests: a sandbox Okta, a sandbox Jira, a store and a config, all real,
and the expected Jira state computed independently from the Okta emulator's state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from idsync.config.model import IdsyncConfig
from idsync.engine.run import RunReport
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from tests.engine.okta_world import INCLUDE as INCLUDE  # re-exported for the tests that build on CONFIG
from tests.engine.okta_world import OktaWorld, load_config
from tests.fixtures.sandbox import RunningJira, RunningOkta

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
class World(OktaWorld):
    """Everything one end-to-end test needs."""

    okta: RunningOkta
    jira: RunningJira
    config: IdsyncConfig
    store: Store
    reports: list[RunReport] = field(default_factory=list)

    def jira_writes(self) -> Counter[str]:
        """Write requests the Jira emulator served since the last `reset_counters`."""
        stats = self.jira.sandbox.control.stats()
        return Counter({k: v for k, v in stats.items() if not k.startswith(("GET", "HEAD"))})

    def target_control(self) -> SandboxControl:
        """The Jira emulator's control."""
        return self.jira.sandbox.control

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
    config, store = load_config(
        CONFIG,
        okta,
        store_url,
        {"JIRA_TOKEN": jira.token},
        jira_url=jira.url,
        okta_extra=f"app_id: {app_id}" if app_id else "",
        jira_retries=jira_retries,
        max_deactivations=max_deactivations,
    )
    return World(okta, jira, config, store)
