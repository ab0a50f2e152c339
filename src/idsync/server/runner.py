"""`idsync serve`: build the app from the config, wire SCIM writes to provisioning, run uvicorn."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

from starlette.applications import Starlette

from idsync import logs
from idsync.config.model import IdsyncConfig, ServerSettings
from idsync.server import scheduler
from idsync.server.app import ServerParts, create_app, scim_connections
from idsync.service.context import Context
from idsync.service.hooks import OktaHooks
from idsync.service.provisioning import Provisioner
from idsync.store import Store


def build(
    config: IdsyncConfig,
    store: Store,
    provisioner: Provisioner | None = None,
    hooks: OktaHooks | None = None,
    config_path: Path | None = None,
) -> tuple[Starlette, ServerParts]:
    """The app with every scim_inbound mount feeding the provisioner, and the Okta Event Hooks feeding
    `hooks` (each is made when not given)."""
    provisioner = provisioner or Provisioner(config, store)
    on_write = {name: provisioner.hook(name) for name in scim_connections(config)}
    settings = config.server or ServerSettings()
    # The scheduler runs every profile's `schedule:` while the server serves (see server/scheduler.py).
    scheduled = scheduler.lifespan(
        Context(config, store, own_loop=True), stop_grace=settings.stop_grace_seconds, isolate=True
    )
    return create_app(
        config, store, on_write=on_write, lifespan=scheduled, hooks=hooks, config_path=config_path
    )


class _Stopped(Exception):
    """SIGTERM or SIGINT after (or before) uvicorn's graceful shutdown."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


def serve(config: IdsyncConfig, host: str, port: int, config_path: Path | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C (uvicorn on uvloop), then return normally (exit status 0).

    uvicorn handles both signals while it serves (it stops accepting, finishes the requests in flight
    and closes), restores the previous handlers and re-raises the signal; the handlers installed here
    turn that re-raise into a normal return instead of a death by signal (-15) or a KeyboardInterrupt
    traceback. Provisioning runs still queued are not waited for: the next push or `idsync sync`
    reconciles them from the inbox."""
    from idsync.server.uvicorn_runner import run

    logs.configure_for(config)  # JSON log lines on stderr, every configured secret masked
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with Store.open(config.database) as store:
            app, _parts = build(config, store, config_path=config_path)
            run(app, host, port)  # lifespan on: the scheduler starts and stops with the server
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
