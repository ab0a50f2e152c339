"""Helpers for the Okta → Bitbucket end-to-end tests: a sandbox Okta, a sandbox Bitbucket, a store and
a config, all real, and the expected Bitbucket state computed independently from the Okta emulator's
state. (tests/engine/e2e.py is the same for Jira; its world is bound to the Jira emulator.)"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from idsync.config.model import IdsyncConfig
from idsync.engine.run import RunReport
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from tests.engine.okta_world import OktaWorld, load_config
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
class BitbucketWorld(OktaWorld):
    """Everything one Okta → Bitbucket test needs."""

    okta: RunningOkta
    bitbucket: RunningBitbucket
    config: IdsyncConfig
    store: Store
    reports: list[RunReport] = field(default_factory=list)

    def writes(self) -> Counter[str]:
        """Write requests the Bitbucket emulator served since the last `reset_counters`."""
        return Counter(self.bitbucket.writes())

    def target_control(self) -> SandboxControl:
        """The Bitbucket emulator's control."""
        return self.bitbucket.sandbox.control

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
    env = {"BITBUCKET_TOKEN": token or bitbucket.token}
    config, store = load_config(CONFIG, okta, store_url, env, bitbucket_url=bitbucket.url, retries=retries,
                                page_size=page_size, licence_group=LICENCE_GROUP)  # fmt: skip
    return BitbucketWorld(okta, bitbucket, config, store)
