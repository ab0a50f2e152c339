"""An Okta emulator on loopback for the source tests: one small generated org per module, reset to its
generated data (and fault-free) before every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from idsync.config.connections import OktaConnection
from idsync.sandbox.common.server import RunningServer, serve_in_thread
from idsync.sandbox.okta.app import OktaSandbox, create_app
from idsync.sandbox.okta.options import OktaOptions
from idsync.sources.okta import OktaSource


@dataclass
class OktaOrg:
    """A running emulator and how to reach it."""

    sandbox: OktaSandbox
    server: RunningServer

    @property
    def url(self) -> str:
        return self.server.url

    def conn(self, token: str | None = None, **changes: object) -> OktaConnection:
        """A connection to this org (admin token unless another is given)."""
        data: dict[str, object] = {
            "type": "okta",
            "url": self.url,
            "token": SecretStr(token or self.sandbox.token),
            "retries": 2,
        }
        data.update(changes)
        return OktaConnection.model_validate(data)

    def source(self, token: str | None = None, **changes: object) -> OktaSource:
        """An OktaSource over real HTTP to this org."""
        return OktaSource("okta", self.conn(token, **changes))


@pytest.fixture(scope="module")
def okta_org_server() -> Iterator[OktaOrg]:
    sandbox = create_app(OktaOptions(users=300, groups=25, apps=2, seed=7))
    server = serve_in_thread(sandbox.app)
    try:
        yield OktaOrg(sandbox, server)
    finally:
        server.stop()


@pytest.fixture
async def okta_org(okta_org_server: OktaOrg) -> AsyncIterator[OktaOrg]:
    okta_org_server.sandbox.control.reset()
    yield okta_org_server
    okta_org_server.sandbox.control.reset()
