"""The ASGI app factory of `idsync serve`.

/healthz                     liveness + store reachability
/scim/v2/<connection>/...    SCIM 2.0 for every scim_inbound connection
/scim/v1/<connection>/...    SCIM 1.1 for the same inbox
/api/v1/...                  the REST API (bearer API tokens; OpenAPI at /api/v1/openapi.json)
/hooks/okta/<connection>     Okta Event Hooks for every okta connection with event_hooks
/metrics                     Prometheus metrics (idsync.metrics)
/ui/...                      the admin web UI (local admin login; idsync.server.ui)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Lifespan

from idsync import metrics
from idsync.config.connections import ScimInboundConnection
from idsync.config.model import IdsyncConfig
from idsync.server.api import PREFIX as API_PREFIX
from idsync.server.api import create_api
from idsync.server.hooks import hook_routes
from idsync.server.ui import PREFIX as UI_PREFIX
from idsync.server.ui import create_ui
from idsync.service.context import Context
from idsync.service.hooks import OktaHooks
from idsync.sources.scim.endpoint import OnWrite, ScimEndpoint
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.storage import InboxStorage
from idsync.sources.scim.storage_async import AsyncInboxStorage
from idsync.sources.scim.wire import ScimMount
from idsync.store import Store


@dataclass
class ServerParts:
    """What the app was built from, for the runner and for tests."""

    config: IdsyncConfig
    store: Store
    endpoints: dict[str, ScimEndpoint] = field(default_factory=dict)
    hooks: OktaHooks | None = None
    """The Okta Event Hooks receiver's processor (its queue, for tests and benchmarks)."""


def scim_connections(config: IdsyncConfig) -> dict[str, ScimInboundConnection]:
    """The scim_inbound connections of a config, by name."""
    return {n: c for n, c in sorted(config.connections.items()) if isinstance(c, ScimInboundConnection)}


def create_app(
    config: IdsyncConfig,
    store: Store,
    *,
    on_write: dict[str, OnWrite] | None = None,
    lifespan: Lifespan[Starlette] | None = None,
    hooks: OktaHooks | None = None,
    config_path: Path | None = None,
) -> tuple[Starlette, ServerParts]:
    """The ASGI app for `config`, serving over `store`; `on_write[connection]` hears accepted writes;
    `lifespan` runs beside the server (`idsync serve` runs the scheduler in it); `config_path` is the
    file `config` came from (the admin UI shows and edits it)."""
    parts = ServerParts(config, store)
    provider = inbox_provider()
    routes: list[BaseRoute] = [Route("/healthz", _healthz(store), methods=["GET"])]
    for name, conn in scim_connections(config).items():
        storage = AsyncInboxStorage(InboxStorage(store.engine, name, provider))
        hook = (on_write or {}).get(name)
        for version in ("v2", "v1"):
            endpoint = ScimEndpoint(
                name,
                storage,
                provider,
                store.engine,
                max_body_bytes=conn.max_body_bytes,
                version=version,
                on_write=hook,
            )
            parts.endpoints[f"{version}/{name}"] = endpoint
            routes.append(ScimMount(f"/scim/{version}/{name}", app=cast(ASGIApp, endpoint)))
    ctx = Context(config, store, config_path, own_loop=True)
    routes.append(Mount(API_PREFIX, app=create_api(ctx)))  # the REST API
    routes.append(Mount(UI_PREFIX, app=create_ui(ctx, config_path=config_path)))  # the admin web UI
    # Okta Event Hooks and /metrics (metric labels name the connections of this config)
    parts.hooks = hooks or OktaHooks(config, store)
    routes.extend(hook_routes(parts.hooks))
    metrics.watch_config(config)
    routes.append(Route("/metrics", _metrics, methods=["GET"]))
    return Starlette(routes=routes, lifespan=lifespan), parts


async def _metrics(request: Request) -> Response:
    """The Prometheus text exposition of every idsync metric."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def _healthz(store: Store):  # type: ignore[no-untyped-def]
    async def healthz(request: Request) -> JSONResponse:
        """200 when the store answers, 503 otherwise (for load balancers and `idsync check`)."""
        try:
            with store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unhealthy", "store": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    return healthz
