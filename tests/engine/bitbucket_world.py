"""Helpers for the Okta → Bitbucket end-to-end tests: a sandbox Okta, a sandbox Bitbucket, a store and
a config, all real, and the expected Bitbucket state computed independently from the Okta emulator's
state. (tests/engine/e2e.py is the same for Jira; its world is bound to the Jira emulator.)"""

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
from tests.fixtures.bitbucket import RunningBitbucket
from tests.fixtures.sandbox import RunningOkta

LICENCE_GROUP = "stash-users"

CONFIG = """
database: {store_url}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}
  bitbucket:
    type: bitbucket
    url: {bitbucket_url}
    token: ${{BITBUCKET_TOKEN}}
    retries: {retries}
    page_size: {page_size}
profiles:
  p:
    source: okta
    targets: [bitbucket]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
      include: ["{include}"]
      default_groups: {{new_users: [{licence_group}]}}
    safety:
      max_deactivations: 1000
      max_deactivation_percent: 100
      max_membership_removals: 100000
      protected_users: [admin]
"""


@dataclass
class BitbucketWorld:
    """Everything one Okta → Bitbucket test needs."""

    okta: RunningOkta
    bitbucket: RunningBitbucket
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
        """Write requests the Bitbucket emulator served since the last `reset_counters`."""
        return Counter(self.bitbucket.writes())

    def reset_counters(self) -> None:
        """Zero both emulators' request counters."""
        for control in (self.bitbucket.sandbox.control, self.okta.sandbox.control):
            if control.middleware is not None:
                control.middleware.requests.clear()

    # -- the expected target state, computed from the Okta emulator's own data ----------------------

    def expected_active(self) -> set[str]:
        """Usernames of the Okta users that must hold a Bitbucket seat (every active Okta user)."""
        state = self.okta.sandbox.state
        return {u.profile["login"].split("@")[0].lower() for u in state.users.values() if u.status in ACTIVE}

    def expected_groups(self) -> dict[str, set[str]]:
        """Bitbucket group → usernames, for the groups the profile manages."""
        state = self.okta.sandbox.state
        return {
            group.profile["name"].lower(): {
                state.users[uid].profile["login"].split("@")[0].lower() for uid in state.members[gid]
            }
            for gid, group in state.groups.items()
            if re.search(INCLUDE, group.profile["name"])
        }

    def licensed(self) -> set[str]:
        """Usernames holding a seat in the Bitbucket emulator (without the admin)."""
        state = self.bitbucket.sandbox.state
        return {u.name.lower() for u in state.users.values() if state.is_licensed(u) and u.name != "admin"}

    def existing(self) -> set[str]:
        """Usernames that exist in Bitbucket."""
        return {u.name.lower() for u in self.bitbucket.sandbox.state.users.values()}

    def members(self, group: str) -> set[str]:
        """Usernames in a Bitbucket group."""
        state = self.bitbucket.sandbox.state
        found = state.group(group)
        return set() if found is None else {state.users[uid].name.lower() for uid in found.members}

    def groups_of(self, username: str) -> set[str]:
        """Lower-case names of the groups a Bitbucket user is in."""
        user = self.bitbucket.sandbox.state.user_by_name(username)
        assert user is not None, f"{username} is not in Bitbucket"
        return set(user.groups)

    def converged(self) -> bool:
        """Bitbucket holds exactly what the rules say: a seat for every active person, and the members
        of the managed groups."""
        if self.licensed() != self.expected_active():
            return False
        return all(
            self.bitbucket.sandbox.state.group(group) is not None
            and self.members(group) == members & self.existing()
            for group, members in self.expected_groups().items()
        )


def make_bitbucket_world(
    okta: RunningOkta,
    bitbucket: RunningBitbucket,
    store_url: str,
    *,
    token: str | None = None,
    retries: int = 5,
    page_size: int = 200,
) -> BitbucketWorld:
    """A config for the two emulators, parsed by the real loader, and an opened store."""
    text = CONFIG.format(store_url=store_url, okta_url=okta.url, bitbucket_url=bitbucket.url, retries=retries,
                         page_size=page_size, include=INCLUDE, licence_group=LICENCE_GROUP)  # fmt: skip
    env = {"OKTA_TOKEN": okta.token, "BITBUCKET_TOKEN": token or bitbucket.token}
    return BitbucketWorld(okta, bitbucket, parse_config(text, env=env), Store.open(store_url))
