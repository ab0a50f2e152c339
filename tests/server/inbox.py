"""A running `idsync serve` app for tests: two scim_inbound connections (inbox, other), each with a
token, served by uvicorn on loopback; optionally a profile feeding a Jira sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from idsync.config.model import IdsyncConfig
from idsync.sandbox.common.server import RunningServer, serve_in_thread
from idsync.server.runner import build
from idsync.service.provisioning import Provisioned, Provisioner
from idsync.sources.scim import tokens
from idsync.store import Store


@dataclass
class RunningInbox:
    """The served app, its tokens and (when profiles are configured) its provisioner."""

    url: str
    tokens: dict[str, str]
    store: Store
    server: RunningServer
    provisioner: Provisioner
    done: list[Provisioned]

    def client(
        self, connection: str = "inbox", version: str = "v2", token: str | None = None
    ) -> httpx.Client:
        """An httpx client on one mount with that connection's bearer token (or `token`)."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.tokens[connection]}"}
        return httpx.Client(base_url=f"{self.url}/scim/{version}/{connection}", headers=headers, timeout=30)


@contextmanager
def running_inbox(
    tmp_path: Path,
    *,
    max_body_bytes: int = 1_048_576,
    extra: dict[str, Any] | None = None,
    rotate: bool = False,
) -> Iterator[RunningInbox]:
    """Serve the inbox (config extended by `extra`: more connections and profiles); `rotate` issues
    new tokens over those of an app already serving the same database (a second replica)."""
    raw: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'idsync.db'}",
        "connections": {
            "inbox": {"type": "scim_inbound", "max_body_bytes": max_body_bytes},
            "other": {"type": "scim_inbound"},
        },
        "profiles": {},
    }
    for key, value in (extra or {}).items():
        raw[key] = {**raw[key], **value}
    config = IdsyncConfig.model_validate(raw)
    with Store.open(config.database) as store:
        issued = {name: tokens.issue(store.engine, name, rotate=rotate) for name in ("inbox", "other")}
        done: list[Provisioned] = []
        provisioner = Provisioner(config, store, on_done=done.append, max_wait=2.0)
        app, _parts = build(config, store, provisioner)
        server = serve_in_thread(app)
        try:
            yield RunningInbox(server.url, issued, store, server, provisioner, done)
        finally:
            server.stop()
