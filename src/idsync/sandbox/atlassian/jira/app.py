"""`create_app(JiraOptions) -> JiraSandbox`: the Jira emulator as an ASGI app.

FaultMiddleware (latency, injected 5xx in Jira's error format, drops, request counts)
└── AuthMiddleware (latest→2 alias, Basic / PAT, optional per-user rate limit)
    └── Starlette router: /rest/api/2/..., /rest/servicedeskapi/... (servicedesk.py) and the shared
        /_sandbox/ admin routes
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.app import assemble, injected_text, jersey_text
from idsync.sandbox.atlassian.common.servicedesk import ServiceDeskError, render_error
from idsync.sandbox.atlassian.jira import (
    groups,
    licences,
    projects,
    server,
    servicedesk,
    user_properties,
    user_search,
    users,
)
from idsync.sandbox.atlassian.jira.auth import AuthMiddleware
from idsync.sandbox.atlassian.jira.generator import generate
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.atlassian.jira.ratelimit import limiter_for
from idsync.sandbox.atlassian.jira.state import JiraState
from idsync.sandbox.atlassian.jira.web import JSON, JiraError, Runtime, error_body
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware


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
    return error_body([injected_text(status)]), [(b"content-type", JSON.encode())]


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraError)
    return Response(
        error_body(exc.messages, exc.errors), status_code=exc.status, media_type=JSON, headers=exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Response(error_body([jersey_text(request, exc)]), status_code=exc.status_code, media_type=JSON)


def create_app(options: JiraOptions) -> JiraSandbox:
    """Generate the data for `options` and build the app around it."""

    def fresh_buckets(auth: AuthMiddleware) -> None:
        auth.limiter = limiter_for(options)

    routes = [
        *server.routes(),
        *users.routes(),
        *user_search.routes(),
        *user_properties.routes(),
        *groups.routes(),
        *projects.routes(),
        *licences.routes(),
        *servicedesk.routes(),
    ]
    handlers = {
        JiraError: _jira_error, HTTPException: _http_error,
        ServiceDeskError: render_error, servicedesk.Unlicensed: servicedesk.render_unlicensed,
    }
    built = assemble(options, generate, routes, handlers, AuthMiddleware, _injected_error, fresh_buckets)
    return JiraSandbox(built.app, built.control, built.runtime, options, built.auth)
