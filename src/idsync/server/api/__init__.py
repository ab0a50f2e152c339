"""The REST API of `idsync serve`, mounted at /api/v1 (FastAPI; OpenAPI at /api/v1/openapi.json).

Every route needs `Authorization: Bearer <API token>` (`idsync api token create NAME`); the routes
are thin over `idsync.service`, answer the service results' own `to_dict()`, and run blocking store
calls in worker threads. Errors are JSON naming the field and the valid values (`errors`).
"""

from __future__ import annotations

from fastapi import FastAPI, Security
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp

from idsync.server.api import errors, routes_plans, routes_profiles, routes_runs, routes_scim
from idsync.server.api.auth import BearerAuth
from idsync.service.context import Context
from idsync.service.tokens import ApiTokenCheck
from idsync.service.users import LoginSync

PREFIX = "/api/v1"
_DOCUMENTED_BEARER = HTTPBearer(
    auto_error=False, description="An API token from `idsync api token create NAME`."
)


def create_api(ctx: Context) -> ASGIApp:
    """The API app over `ctx`, wrapped in its bearer-token check."""
    api = FastAPI(
        title="idsync",
        version="1",
        summary="Plans, runs, history, single-user sync and tokens of idsync.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        dependencies=[Security(_DOCUMENTED_BEARER)],  # documents the scheme; BearerAuth enforces it
    )
    api.state.ctx = ctx
    api.state.login_sync = LoginSync(ctx)
    errors.install(api)
    for module in (routes_profiles, routes_plans, routes_runs, routes_scim):
        api.include_router(module.router)
    return BearerAuth(api, ApiTokenCheck(ctx.store))
