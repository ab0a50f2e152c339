"""`idsync serve`: build the app from the config, wire SCIM writes to provisioning, run uvicorn."""

from __future__ import annotations

import signal
from types import FrameType

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


class _Stopped(Exception):
    """SIGTERM or SIGINT after (or before) uvicorn's graceful shutdown."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


def serve(config: IdsyncConfig, host: str, port: int) -> None:
    """Serve until SIGTERM or Ctrl-C (uvicorn on uvloop), then return normally (exit status 0).

    uvicorn handles both signals while it serves (it stops accepting, finishes the requests in flight
    and closes), restores the previous handlers and re-raises the signal; the handlers installed here
    turn that re-raise into a normal return instead of a death by signal (-15) or a KeyboardInterrupt
    traceback. Provisioning runs still queued are not waited for: the next push or `idsync sync`
    reconciles them from the inbox."""
    from idsync.sandbox.common.server import serve_forever

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with Store.open(config.database) as store:
            app, _parts = build(config, store)
            serve_forever(app, host, port, log_level="info")
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
