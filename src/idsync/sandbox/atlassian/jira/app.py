"""`create_app(JiraOptions) -> JiraSandbox`: the Jira emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Jira's error format, drops, request counts)
└── AuthMiddleware (latest→2 alias, Basic / PAT, optional per-user rate limit)
    └── Starlette router: /rest/api/2/... and the shared /_sandbox/ admin routes
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.jira import groups, projects, server, user_properties, user_search, users
from idsync.sandbox.atlassian.jira.auth import AuthMiddleware
from idsync.sandbox.atlassian.jira.generator import generate
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.atlassian.jira.state import JiraState
from idsync.sandbox.atlassian.jira.web import JSON, JiraError, Runtime, error_body
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import FaultMiddleware, Faults

_STATUS_TEXT = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
    429: "Rate limit exceeded.",
}


@dataclass
class JiraSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: JiraOptions
    auth: AuthMiddleware

    @property
    def rate_limited(self) -> int:
        """How many requests the per-user rate limit refused with 429 (0 when rate limiting is off)."""
        return self.auth.limiter.rejected if self.auth.limiter is not None else 0

    @property
    def state(self) -> JiraState:
        """The live state (replaced by a reset)."""
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
    text = _STATUS_TEXT.get(status, f"Injected error {status}")
    return error_body([f"{text} (injected by the idsync sandbox)"]), [(b"content-type", JSON.encode())]


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraError)
    return Response(
        error_body(exc.messages, exc.errors), status_code=exc.status, media_type=JSON, headers=exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        text = f"null for uri: {request.url}"  # Jersey's text for an unknown REST path
    elif exc.status_code == 405:
        text = f"Method {request.method} is not allowed for {request.url.path}"
    else:
        text = str(exc.detail)
    return Response(error_body([text]), status_code=exc.status_code, media_type=JSON)


def create_app(options: JiraOptions) -> JiraSandbox:
    """Generate the data for `options` and build the app around it."""
    clock = Clock()
    generated_at = clock.now()  # a reset regenerates exactly the same data, timestamps included
    runtime = Runtime(options, clock, generate(options, generated_at))

    def reset_state() -> None:
        runtime.state = generate(options, generated_at)
        auth.limiter = AuthMiddleware(router, runtime).limiter  # fresh buckets

    faults = Faults(
        latency_ms=options.latency_ms,
        jitter_ms=options.jitter_ms,
        read_fail_rate=options.read_fail_rate,
        write_fail_rate=options.write_fail_rate,
    )
    control = SandboxControl(
        faults, clock, lambda: orjson.loads(orjson.dumps(runtime.state.dump())), reset_state
    )
    routes = [
        *server.routes(),
        *users.routes(),
        *user_search.routes(),
        *user_properties.routes(),
        *groups.routes(),
        *projects.routes(),
        *control.routes(),
    ]
    router = Starlette(routes=routes, exception_handlers={JiraError: _jira_error, HTTPException: _http_error})
    router.state.runtime = runtime
    auth = AuthMiddleware(router, runtime)
    app = FaultMiddleware(auth, faults, _injected_error, seed=options.seed)
    control.middleware = app
    return JiraSandbox(app, control, runtime, options, auth)
