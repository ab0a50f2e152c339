"""Helpers for the Okta → idsync → Confluence end-to-end tests: both emulators, a store and a config,
all real, and the expected Confluence state computed independently from the Okta emulator's state.
(tests/engine/e2e.py is the Jira twin; the expectation rules are shared through its constants.)"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from idsync.config.model import IdsyncConfig
from idsync.engine.run import RunReport
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from tests.engine.okta_world import OktaWorld, load_config
from tests.fixtures.confluence import RunningConfluence
from tests.fixtures.sandbox import RunningOkta

CONNECTION = "wiki"
"""The Confluence connection's name: failures must name it."""

CONFIG = """
database: {store_url}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
  wiki:
    type: confluence
    url: {confluence_url}
    token: ${{CONFLUENCE_TOKEN}}
    retries: {retries}
profiles:
  p:
    source: okta
    targets: [wiki]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
      when_removed: {when_removed}
    groups:
      mode: on_the_fly
      include: ["{include}"]
      default_groups: {{new_users: [confluence-users]}}
    safety:
      max_deactivations: 1000
      max_deactivation_percent: 100
      max_membership_removals: 100000
      protected_users: [admin]
"""


@dataclass
class ConfluenceWorld(OktaWorld):
    """Everything one Okta → Confluence end-to-end test needs."""

    okta: RunningOkta
    confluence: RunningConfluence
    config: IdsyncConfig
    store: Store
    reports: list[RunReport] = field(default_factory=list)

    def writes(self) -> Counter[str]:
        """Write requests the Confluence emulator served since the last `reset_counters`."""
        return Counter(self.confluence.writes())

    def target_control(self) -> SandboxControl:
        """The Confluence emulator's control."""
        return self.confluence.sandbox.control

    def enabled(self) -> set[str]:
        """Enabled usernames in Confluence (without the admin)."""
        users = self.confluence.sandbox.state.users.values()
        return {u.name for u in users if u.active and u.name != "admin"}

    def members(self, group: str) -> set[str]:
        """Usernames in a Confluence group."""
        state = self.confluence.sandbox.state
        return {state.users[key].name for key in state.groups[group.lower()].members}

    def converged(self) -> bool:
        """Confluence holds what the rules say: enabled users and the members of managed groups (a
        disabled user keeps their memberships)."""
        if self.enabled() != self.expected_active():
            return False
        state = self.confluence.sandbox.state
        existing = {u.name for u in state.users.values()}
        return all(
            group in state.groups and self.members(group) == members & existing
            for group, members in self.expected_groups().items()
        )


def make_confluence_world(
    okta: RunningOkta,
    confluence: RunningConfluence,
    store_url: str,
    *,
    token: str | None = None,
    retries: int = 5,
    when_removed: str = "deactivate",
) -> ConfluenceWorld:
    """A config for the two emulators, parsed by the real loader, and an opened store."""
    env = {"CONFLUENCE_TOKEN": token or confluence.token}
    config, store = load_config(
        CONFIG,
        okta,
        store_url,
        env,
        confluence_url=confluence.url,
        retries=retries,
        when_removed=when_removed,
    )
    return ConfluenceWorld(okta, confluence, config, store)
