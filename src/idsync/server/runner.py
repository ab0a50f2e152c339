"""`idsync serve`: build the app from the config, wire SCIM writes to provisioning, run uvicorn."""

from __future__ import annotations

from starlette.applications import Starlette

from idsync.config.model import IdsyncConfig
from idsync.server.app import ServerParts, create_app, scim_connections
from idsync.sources.scim.provisioning import Provisioner
from idsync.store import Store


def build(
    config: IdsyncConfig, store: Store, provisioner: Provisioner | None = None
) -> tuple[Starlette, ServerParts]:
    """The app with every scim_inbound mount feeding the provisioner (one is made when not given)."""
    provisioner = provisioner or Provisioner(config, store)
    hooks = {name: provisioner.hook(name) for name in scim_connections(config)}
    return create_app(config, store, on_write=hooks)


def serve(config: IdsyncConfig, host: str, port: int) -> None:
    """Serve until interrupted (uvicorn on uvloop)."""
    from idsync.sandbox.common.server import serve_forever

    with Store.open(config.database) as store:
        app, _parts = build(config, store)
        serve_forever(app, host, port, log_level="info")
