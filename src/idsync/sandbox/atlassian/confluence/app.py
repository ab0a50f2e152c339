"""`create_app(ConfluenceOptions) -> ConfluenceSandbox`: the Confluence emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Confluence's error format, drops, request counts)
└── AuthMiddleware (Basic / PAT)
    └── Starlette router: only the routes the emulated release has (versions.py), plus the shared
        /_sandbox/ admin routes. A path the release lacks answers 404, a method it lacks on a path it
        has answers 405, as the real server's REST layer does.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.confluence import admin_users, groups, server, users
from idsync.sandbox.atlassian.confluence.auth import AuthMiddleware
from idsync.sandbox.atlassian.confluence.generator import generate
from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.confluence.state import ConfluenceState
from idsync.sandbox.atlassian.confluence.web import JSON, ConfluenceError, Runtime, error_body
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import FaultMiddleware, Faults


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
    if exc.status_code == 404:
        text = f"null for uri: {request.url}"  # Jersey's text for an unknown REST path
    elif exc.status_code == 405:
        text = f"Method {request.method} is not allowed for {request.url.path}"
    else:
        text = str(exc.detail)
    return Response(error_body(exc.status_code, text), exc.status_code, media_type=JSON)


def create_app(options: ConfluenceOptions) -> ConfluenceSandbox:
    """Generate the data for `options` and build the app around it."""
    clock = Clock()
    generated_at = clock.now()  # a reset regenerates exactly the same data, timestamps included
    runtime = Runtime(options, clock, generate(options, generated_at))

    def reset_state() -> None:
        runtime.state = generate(options, generated_at)

    faults = Faults(
        latency_ms=options.latency_ms,
        jitter_ms=options.jitter_ms,
        read_fail_rate=options.read_fail_rate,
        write_fail_rate=options.write_fail_rate,
    )
    control = SandboxControl(
        faults, clock, lambda: orjson.loads(orjson.dumps(runtime.state.dump())), reset_state
    )
    release = options.release
    endpoints = [*server.routes(), *users.routes(), *admin_users.routes(), *groups.routes()]
    routes = [route for route, since in endpoints if release.has(since)]
    router = Starlette(
        routes=[*routes, *control.routes()],
        exception_handlers={ConfluenceError: _confluence_error, HTTPException: _http_error},
    )
    router.state.runtime = runtime
    app = FaultMiddleware(AuthMiddleware(router, runtime), faults, _injected_error, seed=options.seed)
    control.middleware = app
    return ConfluenceSandbox(app, control, runtime, options)
