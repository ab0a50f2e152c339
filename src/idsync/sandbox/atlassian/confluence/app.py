"""`create_app(ConfluenceOptions) -> ConfluenceSandbox`: the Confluence emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Confluence's error format, drops, request counts)
└── AuthMiddleware (Basic / PAT)
    └── Starlette router: only the routes the emulated release has (versions.py), plus the shared
        /_sandbox/ admin routes. A path the release lacks answers 404, a method it lacks on a path it
        has answers 405, as the real server's REST layer does.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.app import assemble, jersey_text
from idsync.sandbox.atlassian.confluence import admin_users, groups, server, users
from idsync.sandbox.atlassian.confluence.auth import AuthMiddleware
from idsync.sandbox.atlassian.confluence.generator import generate
from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.confluence.state import ConfluenceState
from idsync.sandbox.atlassian.confluence.web import JSON, ConfluenceError, Runtime, error_body
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware


@dataclass
class ConfluenceSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: ConfluenceOptions

    @property
    def state(self) -> ConfluenceState:
        """The live state (replaced by a reset), with due long tasks completed."""
        self.runtime.state.settle(self.runtime.clock.now())
        return self.runtime.state

    @property
    def token(self) -> str:
        """The admin's personal access token."""
        return self.options.pat

    @property
    def username(self) -> str:
        """The admin's username for Basic auth."""
        return self.options.username

    @property
    def password(self) -> str:
        """The admin's password for Basic auth."""
        return self.options.password


def _injected_error(status: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    return error_body(status, f"Injected error {status} (by the idsync sandbox)"), [
        (b"content-type", JSON.encode())
    ]


async def _confluence_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConfluenceError)
    return Response(error_body(exc.status, exc.message, valid=exc.valid), exc.status, media_type=JSON)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Response(error_body(exc.status_code, jersey_text(request, exc)), exc.status_code, media_type=JSON)


def create_app(options: ConfluenceOptions) -> ConfluenceSandbox:
    """Generate the data for `options` and build the app around it."""
    release = options.release
    endpoints = [*server.routes(), *users.routes(), *admin_users.routes(), *groups.routes()]
    routes = [route for route, since in endpoints if release.has(since)]
    handlers = {ConfluenceError: _confluence_error, HTTPException: _http_error}
    built = assemble(options, generate, routes, handlers, AuthMiddleware, _injected_error)
    return ConfluenceSandbox(built.app, built.control, built.runtime, options)
