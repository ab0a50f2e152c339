"""The admin web UI of `idsync serve`, mounted at /ui: server-rendered pages (Jinja2), htmx for the
interactive parts, vendored static files, no JavaScript build step.

Every page calls the same service functions as the CLI and the REST API (`idsync.service`) and holds
no logic of its own. The layers, outermost first:

    SessionMiddleware   the signed session cookie (auth.SESSION_COOKIE)
    LoginGate           no valid admin session → redirect to /ui/login (auth.py)
    CsrfMiddleware      every POST/PUT/PATCH/DELETE carries the session's CSRF token (csrf.py)
    routes              one module per page group (ROUTE_MODULES), each with a `routes` list

A page handler is `async def page(request) -> Response`; it gets the admin from
`auth.current_admin(request)`, the shared parts from `state.ui_state(request)`, runs blocking service
calls with `state.blocking(...)` and answers `render.render(request, "template.html", {...})`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from idsync.server.ui import (
    auth,
    routes_connections,
    routes_history,
    routes_overview,
    routes_settings,
    routes_sync,
    routes_testsync,
    routes_tokens,
)
from idsync.server.ui.csrf import CsrfMiddleware
from idsync.server.ui.jobs import Jobs
from idsync.server.ui.render import STATIC, make_templates
from idsync.server.ui.state import SessionStamps, UiState
from idsync.service.admins import session_secret
from idsync.service.context import Context

PREFIX = "/ui"
ROUTE_MODULES: tuple[ModuleType, ...] = (
    auth,
    routes_overview,
    routes_connections,
    routes_sync,
    routes_history,
    routes_testsync,
    routes_tokens,
    routes_settings,
)
"""Every module whose `routes` the UI serves; a new page group adds its module here."""


def create_ui(ctx: Context, *, config_path: Path | None = None) -> Starlette:
    """The UI app over `ctx` (blocking: reads or creates the session signing key in the store)."""
    stamps = SessionStamps(ctx)
    state = UiState(ctx, make_templates(), config_path=config_path, stamps=stamps)
    state.jobs = Jobs()
    routes: list[BaseRoute] = [Mount("/static", app=StaticFiles(directory=STATIC), name="static")]
    for module in ROUTE_MODULES:
        routes.extend(module.routes)
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(ctx.store),
            session_cookie=auth.SESSION_COOKIE,
            max_age=auth.SESSION_MAX_AGE,
            same_site="lax",
        ),
        Middleware(auth.LoginGate, stamps=stamps),
        Middleware(CsrfMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.ui = state
    return app
