"""`create_app(BitbucketOptions) -> BitbucketSandbox`: the Bitbucket emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Bitbucket's error envelope, drops, request counts)
└── AuthMiddleware (latest→1.0 alias, Basic / access token, X-AUSERNAME, optional rate limit)
    └── Starlette router: /rest/api/1.0/... and the shared /_sandbox/ admin routes
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.bitbucket import groups, permissions, server, users
from idsync.sandbox.atlassian.bitbucket.auth import AuthMiddleware
from idsync.sandbox.atlassian.bitbucket.generator import generate
from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions
from idsync.sandbox.atlassian.bitbucket.state import BitbucketState
from idsync.sandbox.atlassian.bitbucket.web import JSON, BitbucketError, Runtime, error_body
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
class BitbucketSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: BitbucketOptions
    auth: AuthMiddleware

    @property
    def state(self) -> BitbucketState:
        """The live state (replaced by a reset)."""
        return self.runtime.state

    @property
    def rate_limited(self) -> int:
        """How many requests the per-user rate limit refused with 429 (0 when it is off)."""
        return self.auth.limiter.rejected if self.auth.limiter is not None else 0

    @property
    def token(self) -> str:
        """The admin's HTTP access token."""
        return self.options.access_token

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
    return error_body(f"{text} (injected by the idsync sandbox)"), [(b"content-type", JSON.encode())]


async def _bitbucket_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BitbucketError)
    return Response(
        error_body(exc.message, exc.context, exc.exception),
        status_code=exc.status,
        media_type=JSON,
        headers=exc.headers,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return server.not_found(request)
    if exc.status_code == 405:
        return Response(
            error_body(f"Method {request.method} is not allowed for {request.url.path}"),
            status_code=405,
            media_type=JSON,
        )
    return Response(error_body(str(exc.detail)), status_code=exc.status_code, media_type=JSON)


def create_app(options: BitbucketOptions) -> BitbucketSandbox:
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
    routes = [*server.routes(), *users.routes(), *groups.routes(), *permissions.routes(), *control.routes()]
    router = Starlette(
        routes=routes, exception_handlers={BitbucketError: _bitbucket_error, HTTPException: _http_error}
    )
    router.state.runtime = runtime
    auth = AuthMiddleware(router, runtime)
    app = FaultMiddleware(auth, faults, _injected_error, seed=options.seed)
    control.middleware = app
    return BitbucketSandbox(app, control, runtime, options, auth)
