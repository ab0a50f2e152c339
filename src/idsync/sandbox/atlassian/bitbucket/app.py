"""`create_app(BitbucketOptions) -> BitbucketSandbox`: the Bitbucket emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Bitbucket's error envelope, drops, request counts)
└── AuthMiddleware (latest→1.0 alias, Basic / access token, X-AUSERNAME, optional rate limit)
    └── Starlette router: /rest/api/1.0/... and the shared /_sandbox/ admin routes
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.bitbucket import groups, permissions, server, users
from idsync.sandbox.atlassian.bitbucket.auth import AuthMiddleware
from idsync.sandbox.atlassian.bitbucket.generator import generate
from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions
from idsync.sandbox.atlassian.bitbucket.state import BitbucketState
from idsync.sandbox.atlassian.bitbucket.web import JSON, BitbucketError, Runtime, error_body
from idsync.sandbox.atlassian.common.app import assemble, injected_text, jersey_text
from idsync.sandbox.atlassian.jira.ratelimit import limiter_for
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware


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
    return error_body(injected_text(status)), [(b"content-type", JSON.encode())]


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
    return Response(error_body(jersey_text(request, exc)), status_code=exc.status_code, media_type=JSON)


def create_app(options: BitbucketOptions) -> BitbucketSandbox:
    """Generate the data for `options` and build the app around it."""

    def fresh_buckets(auth: AuthMiddleware) -> None:
        auth.limiter = limiter_for(options)

    routes = [*server.routes(), *users.routes(), *groups.routes(), *permissions.routes()]
    handlers = {BitbucketError: _bitbucket_error, HTTPException: _http_error}
    built = assemble(options, generate, routes, handlers, AuthMiddleware, _injected_error, fresh_buckets)
    return BitbucketSandbox(built.app, built.control, built.runtime, options, built.auth)
