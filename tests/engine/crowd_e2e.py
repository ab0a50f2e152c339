"""Helpers for the Okta → idsync → Crowd end-to-end tests: a sandbox Okta, a sandbox Crowd, a store
and a config, all real, and the expected Crowd state computed independently from Okta's state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from idsync.config.model import IdsyncConfig
from idsync.engine.run import RunReport
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from tests.engine.okta_world import OktaWorld, load_config
from tests.fixtures.crowd import RunningCrowd
from tests.fixtures.sandbox import RunningOkta

CONFIG = """
database: {store_url}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
  crowd:
    type: crowd
    url: {crowd_url}
    application: {application}
    password: ${{CROWD_PASSWORD}}
    retries: {crowd_retries}
profiles:
  p:
    source: okta
    targets: [crowd]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
    groups:
      mode: on_the_fly
      include: ["{include}"]
    safety:
      max_deactivations: 1000
      max_deactivation_percent: 100
      max_membership_removals: 100000
      protected_users: [admin]
"""


@dataclass
class CrowdWorld(OktaWorld):
    """Everything one Okta → Crowd end-to-end test needs."""

    okta: RunningOkta
    crowd: RunningCrowd
    config: IdsyncConfig
    store: Store
    reports: list[RunReport] = field(default_factory=list)

    def crowd_writes(self) -> Counter[str]:
        """Write requests the Crowd emulator served since the last `reset_counters`."""
        return self.crowd.writes()

    def target_control(self) -> SandboxControl:
        """The Crowd emulator's control."""
        return self.crowd.sandbox.control

    def crowd_active(self) -> set[str]:
        """Active usernames in the Crowd emulator (without the directory's admin)."""
        return {
            u.name.lower() for u in self.crowd.sandbox.state.users.values() if u.active and u.name != "admin"
        }

    def members(self, group: str) -> set[str]:
        """Lower-case usernames in a Crowd group."""
        state = self.crowd.sandbox.state
        found = state.group(group)
        return {state.users[k].name.lower() for k in found.members} if found else set()

    def converged(self) -> bool:
        """Crowd holds exactly what the rules say: active users and the members of managed groups
        (a user idsync deactivated keeps their memberships)."""
        if self.crowd_active() != self.expected_active():
            return False
        created = {u.name.lower() for u in self.crowd.sandbox.state.users.values()}
        return all(
            self.crowd.sandbox.state.group(group) is not None and self.members(group) == members & created
            for group, members in self.expected_groups().items()
        )


def make_crowd_world(
    okta: RunningOkta,
    crowd: RunningCrowd,
    store_url: str,
    *,
    crowd_retries: int = 5,
    password: str | None = None,
) -> CrowdWorld:
    """A config for the two emulators, parsed by the real loader, and an opened store."""
    env = {"CROWD_PASSWORD": password or crowd.password}
    config, store = load_config(CONFIG, okta, store_url, env, crowd_url=crowd.url,
                                application=crowd.application, crowd_retries=crowd_retries)  # fmt: skip
    return CrowdWorld(okta, crowd, config, store)
