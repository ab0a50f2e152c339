"""`create_app(CrowdOptions) -> CrowdSandbox`: the Crowd emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Crowd's error format, drops, request counts)
└── AuthMiddleware (latest→1 alias, application Basic auth, remote addresses)
    └── Starlette router: /rest/usermanagement/1/... and the shared /_sandbox/ admin routes
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.app import assemble
from idsync.sandbox.atlassian.crowd import groups, memberships, search, users
from idsync.sandbox.atlassian.crowd.auth import AuthMiddleware
from idsync.sandbox.atlassian.crowd.generator import generate
from idsync.sandbox.atlassian.crowd.options import CrowdOptions
from idsync.sandbox.atlassian.crowd.state import CrowdState
from idsync.sandbox.atlassian.crowd.web import JSON, CrowdError, Runtime, error_body
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware


@dataclass
class CrowdSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: CrowdOptions

    @property
    def state(self) -> CrowdState:
        """The live state (replaced by a reset)."""
        return self.runtime.state

    @property
    def application(self) -> str:
        """The application name clients authenticate as."""
        return self.options.application

    @property
    def password(self) -> str:
        """The application password."""
        return self.options.password


def _injected_error(status: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    # Injected faults answer in JSON: the FaultMiddleware runs before content negotiation. A 429 says
    # when to come back, as a proxy in front of Crowd would (Crowd itself documents no rate limit).
    body = orjson.dumps(
        {"reason": "OPERATION_FAILED", "message": f"Injected error {status} (idsync sandbox)"}
    )
    headers = [(b"content-type", JSON.encode())]
    if status == 429:
        headers.append((b"retry-after", b"1"))
    return body, headers


async def _crowd_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CrowdError)
    body, media = error_body(exc.reason, exc.message, request.headers.get("accept"))
    return Response(body, status_code=exc.status, media_type=media)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        # Jersey answers unknown paths with an empty 404; that body is not a Crowd error entity.
        return Response(status_code=404)
    if exc.status_code == 405:
        return Response(status_code=405, headers=exc.headers)
    body, media = error_body("OPERATION_FAILED", str(exc.detail), request.headers.get("accept"))
    return Response(body, status_code=exc.status_code, media_type=media)


def create_app(options: CrowdOptions) -> CrowdSandbox:
    """Generate the data for `options` and build the app around it."""
    routes = [*users.routes(), *groups.routes(), *memberships.routes(), *search.routes()]
    handlers = {CrowdError: _crowd_error, HTTPException: _http_error}
    built = assemble(options, generate, routes, handlers, AuthMiddleware, _injected_error)
    return CrowdSandbox(built.app, built.control, built.runtime, options)
