"""Helpers for the Okta → idsync → Confluence end-to-end tests: both emulators, a store and a config,
all real, and the expected Confluence state computed independently from the Okta emulator's state.
(tests/engine/e2e.py is the Jira twin; the expectation rules are shared through its constants.)"""

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
from tests.engine.e2e import ACTIVE, INCLUDE
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
class ConfluenceWorld:
    """Everything one Okta → Confluence end-to-end test needs."""

    okta: RunningOkta
    confluence: RunningConfluence
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

    def writes(self) -> Counter[str]:
        """Write requests the Confluence emulator served since the last `reset_counters`."""
        return Counter(self.confluence.writes())

    def reset_counters(self) -> None:
        """Zero both emulators' request counters."""
        for control in (self.confluence.sandbox.control, self.okta.sandbox.control):
            if control.middleware is not None:
                control.middleware.requests.clear()

    def okta_username(self, uid: str) -> str:
        """The Confluence username the rules derive from an Okta user."""
        return str(self.okta.sandbox.state.users[uid].profile["login"]).split("@")[0].lower()

    def expected_active(self) -> set[str]:
        """Usernames that must be enabled in Confluence (every active Okta user)."""
        state = self.okta.sandbox.state
        return {self.okta_username(uid) for uid, u in state.users.items() if u.status in ACTIVE}

    def expected_groups(self) -> dict[str, set[str]]:
        """Confluence group → usernames, for the groups the profile manages."""
        state = self.okta.sandbox.state
        return {
            group.profile["name"].lower(): {self.okta_username(uid) for uid in state.members[group_id]}
            for group_id, group in state.groups.items()
            if re.search(INCLUDE, group.profile["name"])
        }

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
    text = CONFIG.format(
        store_url=store_url, okta_url=okta.url, confluence_url=confluence.url, retries=retries,
        when_removed=when_removed, include=INCLUDE,
    )  # fmt: skip
    env = {"OKTA_TOKEN": okta.token, "CONFLUENCE_TOKEN": token or confluence.token}
    return ConfluenceWorld(okta, confluence, parse_config(text, env=env), Store.open(store_url))
