"""`create_app(CloudOptions) -> CloudSandbox`: the Atlassian Cloud SCIM directory as an ASGI app.

FaultMiddleware (latency, injected errors as SCIM error bodies, drops, request counts)
└── AuthMiddleware (directory API key, directory id, rate limit)
    └── Starlette router: /scim/directory/{directoryId}/ Users, Groups, Schemas, ResourceTypes,
        ServiceProviderConfig, plus the shared /_sandbox/ admin routes. An unknown path answers 404
        and a method a path lacks 405, both as SCIM errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.app import assemble
from idsync.sandbox.cloud import discovery, groups, users
from idsync.sandbox.cloud.auth import AuthMiddleware
from idsync.sandbox.cloud.errors import SCIM_JSON, CloudError, error_body
from idsync.sandbox.cloud.generator import generate
from idsync.sandbox.cloud.options import CloudOptions
from idsync.sandbox.cloud.state import CloudState
from idsync.sandbox.cloud.web import Runtime
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware

_INJECTED = {429: "Too many requests", 500: "Internal server error", 502: "Bad gateway",
             503: "Service unavailable", 504: "Gateway timeout"}  # fmt: skip


@dataclass
class CloudSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: CloudOptions
    auth: AuthMiddleware

    @property
    def state(self) -> CloudState:
        """The live state (replaced by a reset)."""
        return self.runtime.state

    @property
    def token(self) -> str:
        """The directory API key."""
        return self.options.api_key

    @property
    def directory_id(self) -> str:
        """The directory id of the base URL."""
        return self.options.directory

    @property
    def base_path(self) -> str:
        """The path of the directory base URL: /scim/directory/<id>."""
        return f"/scim/directory/{self.directory_id}"


def _injected_error(status: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    # The fault middleware sets `content-type: application/json` itself: an injected error stands
    # for a failure in front of the SCIM service (a gateway), so clients must not need scim+json there.
    text = _INJECTED.get(status, f"Error {status}")
    headers: list[tuple[bytes, bytes]] = []
    if status == 429:
        headers.append((b"retry-after", b"1"))
    return error_body(status, f"{text} (injected by the idsync sandbox)"), headers


async def _cloud_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CloudError)
    body = error_body(exc.status, exc.detail, exc.scim_type)
    return Response(body, exc.status, media_type=SCIM_JSON, headers=exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        detail = f"Method {request.method} is not supported on {request.url.path}"
    elif exc.status_code == 404:
        detail = f"Resource not found: {request.url.path}"
    else:
        detail = str(exc.detail)
    return Response(error_body(exc.status_code, detail), exc.status_code, media_type=SCIM_JSON,
                    headers=dict(exc.headers) if exc.headers else None)  # fmt: skip


def create_app(options: CloudOptions) -> CloudSandbox:
    """Generate the data for `options` and build the app around it."""
    routes = [*users.routes(), *groups.routes(), *discovery.routes()]
    handlers = {CloudError: _cloud_error, HTTPException: _http_error}
    built = assemble(
        options, generate, routes, handlers, AuthMiddleware, _injected_error, AuthMiddleware.reset
    )
    return CloudSandbox(built.app, built.control, built.runtime, options, built.auth)
