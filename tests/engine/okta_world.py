"""What the Okta → target end-to-end worlds (e2e.py for Jira, bitbucket_world.py, confluence_world.py,
crowd_e2e.py) share: running profile `p`, the Okta client, the request counters, the expected target
state computed independently from the Okta emulator's own data, and the config built from a template."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from tests.fixtures.sandbox import RunningOkta

ACTIVE = {"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"}
INCLUDE = r"^team-"


class OktaWorld:
    """Base of a world: a dataclass subclass holds `okta`, `config`, `store`, `reports` and its target
    emulator, whose control `target_control` returns."""

    okta: RunningOkta
    config: IdsyncConfig
    store: Store
    reports: list[RunReport]

    def target_control(self) -> SandboxControl:
        """The target emulator's control (its request counters)."""
        raise NotImplementedError

    def sync(self, **request: Any) -> RunReport:
        """One real run of profile `p`, as `idsync sync` does it."""
        report = asyncio.run(Engine(self.config, self.store).run(RunRequest("p", **request)))
        self.reports.append(report)
        return report

    def okta_api(self) -> Any:
        """An httpx client on the Okta emulator (the admin's token)."""
        return self.okta.client()

    def reset_counters(self) -> None:
        """Zero both emulators' request counters."""
        for control in (self.target_control(), self.okta.sandbox.control):
            if control.middleware is not None:
                control.middleware.requests.clear()

    # -- the expected target state, computed from the Okta emulator's own data ----------------------

    def okta_username(self, uid: str) -> str:
        """The target username the rules derive from an Okta user (the login's local part)."""
        return str(self.okta.sandbox.state.users[uid].profile["login"]).split("@")[0].lower()

    def expected_active(self) -> set[str]:
        """Usernames of the Okta users that must be active in the target (every active Okta user)."""
        state = self.okta.sandbox.state
        return {self.okta_username(uid) for uid, u in state.users.items() if u.status in ACTIVE}

    def expected_groups(self) -> dict[str, set[str]]:
        """Target group → usernames, for the groups the profile manages."""
        state = self.okta.sandbox.state
        return {
            group.profile["name"].lower(): {self.okta_username(uid) for uid in state.members[group_id]}
            for group_id, group in state.groups.items()
            if re.search(INCLUDE, group.profile["name"])
        }


def load_config(
    template: str, okta: RunningOkta, store_url: str, env: dict[str, str], **values: Any
) -> tuple[IdsyncConfig, Store]:
    """`template` filled in (store URL, Okta URL, the managed groups' pattern and `values`), parsed by
    the real loader with the Okta token and `env`, and the store opened."""
    text = template.format(store_url=store_url, okta_url=okta.url, include=INCLUDE, **values)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, **env})
    return config, Store.open(store_url)
