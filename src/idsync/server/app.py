"""The ASGI app factory of `idsync serve`.

/healthz                     liveness + store reachability
/scim/v2/<connection>/...    SCIM 2.0 for every scim_inbound connection
/scim/v1/<connection>/...    SCIM 1.1 for the same inbox
(later: /api/..., /ui/..., /hooks/... — the scheduler, REST API and admin UI)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from idsync.config.connections import ScimInboundConnection
from idsync.config.model import IdsyncConfig
from idsync.sources.scim.endpoint import OnWrite, ScimEndpoint
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.storage import InboxStorage
from idsync.sources.scim.storage_async import AsyncInboxStorage
from idsync.store import Store


@dataclass
class ServerParts:
    """What the app was built from, for the runner and for tests."""

    config: IdsyncConfig
    store: Store
    endpoints: dict[str, ScimEndpoint] = field(default_factory=dict)


def scim_connections(config: IdsyncConfig) -> dict[str, ScimInboundConnection]:
    """The scim_inbound connections of a config, by name."""
    return {n: c for n, c in sorted(config.connections.items()) if isinstance(c, ScimInboundConnection)}


def create_app(
    config: IdsyncConfig, store: Store, *, on_write: dict[str, OnWrite] | None = None
) -> tuple[Starlette, ServerParts]:
    """The ASGI app for `config`, serving over `store`; `on_write[connection]` hears accepted writes."""
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
            routes.append(Mount(f"/scim/{version}/{name}", app=cast(ASGIApp, endpoint)))
    return Starlette(routes=routes), parts


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
