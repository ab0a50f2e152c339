"""Fixtures of the REST API tests: Okta (80 people) and Jira emulators, and `idsync serve` over them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.api.serving import ApiServer, serving, write_config


@pytest.fixture
def okta(okta_sandbox: Callable[..., RunningOkta]) -> RunningOkta:
    """An Okta emulator with 80 people in 10 groups."""
    return okta_sandbox(users=80, groups=10, apps=0, seed=4)


@pytest.fixture
def jira(jira_sandbox: Callable[..., RunningJira]) -> RunningJira:
    """An empty Jira emulator with one project."""
    return jira_sandbox(users=0, projects=1)


@pytest.fixture
def api(okta: RunningOkta, jira: RunningJira, tmp_path: Path) -> Iterator[ApiServer]:
    """`idsync serve` (profile `p`: Okta → Jira, max_deactivations 2) with an API token."""
    config = write_config(tmp_path, okta, jira, max_deactivations=2)
    env = {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}
    with serving(config, env, tmp_path / "serve.log") as server:
        yield server
    print(server.log.read_text()[-6000:])  # shown by pytest when the test failed
