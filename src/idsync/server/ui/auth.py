"""Login to the admin UI: local admin accounts, signed session cookies, a gate in front of every page.

The session is Starlette's `SessionMiddleware`: a cookie signed with itsdangerous (HttpOnly,
SameSite=Lax, `SESSION_MAX_AGE`), holding the admin's name, when they logged in and the CSRF token.
`LoginGate` lets a request through only when its session names an admin who still exists and has not
changed their password since logging in; everything else under /ui (but the login page and the static
files) redirects to /ui/login. A route therefore cannot forget to require a login.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from idsync.server.ui.csrf import new_token
from idsync.server.ui.render import render
from idsync.server.ui.state import SessionStamps, blocking, ui_state
from idsync.service import admins

SESSION_COOKIE = "idsync_ui"
SESSION_MAX_AGE = 8 * 3600
"""Seconds a session lasts after login (a working day); then the admin logs in again."""
PUBLIC = ("/login", "/static/")
ADMIN_KEY = "idsync.admin"
"""Where the gate leaves the logged-in admin's name in the request scope."""


def current_admin(request: Request) -> str:
    """The name of the admin the gate let through."""
    name: str = request.scope[ADMIN_KEY]
    return name


def route_path(scope: Scope) -> str:
    """The request's path inside the UI (without /ui or any proxy prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class LoginGate:
    """Redirects every request without a valid admin session to the login page."""

    def __init__(self, app: ASGIApp, stamps: SessionStamps) -> None:
        self.app = app
        self.stamps = stamps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path == "/login" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        name, since = session.get("admin"), session.get("since")
        if (
            isinstance(name, str)
            and isinstance(since, int | float)
            and await blocking(self.stamps.valid, name, float(since))
        ):
            scope[ADMIN_KEY] = name
            await self.app(scope, receive, send)
            return
        await _to_login(scope, path)(scope, receive, send)


def _to_login(scope: Scope, path: str) -> Response:
    root = scope.get("root_path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    wanted = root + path + (f"?{query}" if query else "")
    target = f"{root}/login" + (f"?next={quote(wanted, safe='')}" if path not in ("", "/") else "")
    headers = dict(scope["headers"])
    if headers.get(b"hx-request") == b"true":  # htmx swaps a fragment: make it load the login page
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _safe_next(request: Request, wanted: str | None) -> str:
    """Where to go after login: a path of this UI only (never another site)."""
    base = request.scope.get("root_path", "")
    home = f"{base}/"
    if not wanted:
        return home
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc or not wanted.startswith(f"{base}/") or wanted.startswith("//"):
        return home
    return wanted


async def login_page(request: Request) -> Response:
    """The login form; POST checks the throttle, then the password."""
    state = ui_state(request)
    wanted = request.query_params.get("next")
    if request.method == "GET":
        return render(request, "login.html", {"next": wanted or "", "error": None})
    form = await request.form()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    wanted = str(form.get("next", "")) or wanted
    address = request.client.host if request.client else "unknown"
    refused = state.throttle.check(name, address)
    if refused is not None:
        context = {"next": wanted or "", "error": refused.message(), "name": name}
        headers = {"Retry-After": str(refused.retry_after)}
        return render(request, "login.html", context, status_code=429, headers=headers)
    if not name or not await blocking(admins.authenticate, state.ctx.store, name, password):
        state.throttle.failed(name, address)
        context = {"next": wanted or "", "error": "Wrong admin name or password.", "name": name}
        return render(request, "login.html", context, status_code=401)
    state.throttle.succeeded(name)
    if state.stamps is not None:
        state.stamps.forget()
    request.session.clear()  # a new session: nothing of the anonymous one (or a planted one) carries over
    request.session.update({"admin": name, "since": time.time(), "csrf": new_token()})
    return RedirectResponse(_safe_next(request, wanted), status_code=303)


async def logout(request: Request) -> Response:
    """End the session (POST, with the CSRF token like every form)."""
    request.session.clear()
    return RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)


routes: list[BaseRoute] = [
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
