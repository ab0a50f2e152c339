"""Helpers for the Okta → idsync → Crowd end-to-end tests: a sandbox Okta, a sandbox Crowd, a store
and a config, all real, and the expected Crowd state computed independently from Okta's state."""

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
from tests.fixtures.crowd import RunningCrowd
from tests.fixtures.sandbox import RunningOkta

ACTIVE = {"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"}
INCLUDE = r"^team-"

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
class CrowdWorld:
    """Everything one Okta → Crowd end-to-end test needs."""

    okta: RunningOkta
    crowd: RunningCrowd
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

    def crowd_writes(self) -> Counter[str]:
        """Write requests the Crowd emulator served since the last `reset_counters`."""
        return self.crowd.writes()

    def reset_counters(self) -> None:
        """Zero both emulators' request counters."""
        for control in (self.crowd.sandbox.control, self.okta.sandbox.control):
            if control.middleware is not None:
                control.middleware.requests.clear()

    def expected_active(self) -> set[str]:
        """Usernames of the Okta users that must be active in Crowd (every active Okta user)."""
        state = self.okta.sandbox.state
        return {u.profile["login"].split("@")[0].lower() for u in state.users.values() if u.status in ACTIVE}

    def expected_groups(self) -> dict[str, set[str]]:
        """Crowd group → usernames, for the groups the profile manages."""
        state = self.okta.sandbox.state
        return {
            group.profile["name"].lower(): {
                state.users[uid].profile["login"].split("@")[0].lower() for uid in state.members[group_id]
            }
            for group_id, group in state.groups.items()
            if re.search(INCLUDE, group.profile["name"])
        }

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
    text = CONFIG.format(
        store_url=store_url,
        okta_url=okta.url,
        crowd_url=crowd.url,
        application=crowd.application,
        crowd_retries=crowd_retries,
        include=INCLUDE,
    )
    env = {"OKTA_TOKEN": okta.token, "CROWD_PASSWORD": password or crowd.password}
    config = parse_config(text, env=env)
    return CrowdWorld(okta, crowd, config, Store.open(store_url))
