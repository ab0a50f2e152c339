"""`create_app(JiraCloudOptions) -> JiraCloudSandbox`: the Jira Cloud site emulator as an ASGI app.

FaultMiddleware (latency, injected errors in servicedeskapi's shape, drops, request counts)
└── CloudAuth (Basic: the site admin's e-mail and API token)
    └── Starlette router: /rest/servicedeskapi/..., /rest/api/3/... and the shared /_sandbox/ routes
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.app import assemble, injected_text
from idsync.sandbox.atlassian.common.servicedesk import JSON, ServiceDeskError, error_body, render_error
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.faults import FaultMiddleware
from idsync.sandbox.jira_cloud import servicedesk, users
from idsync.sandbox.jira_cloud.auth import CloudAuth, Runtime
from idsync.sandbox.jira_cloud.options import JiraCloudOptions
from idsync.sandbox.jira_cloud.state import CloudState, generate


@dataclass
class JiraCloudSandbox:
    """A built emulator: serve `.app`; tests inspect `.state` and drive `.control`."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: Runtime
    options: JiraCloudOptions
    bucket: servicedesk.BurstBucket | None

    @property
    def state(self) -> CloudState:
        """The live state (replaced by a reset)."""
        return self.runtime.state

    @property
    def rate_limited(self) -> int:
        """How many GET …/customer requests the burst bucket refused with 429."""
        return self.bucket.rejected if self.bucket is not None else 0


def _injected_error(status: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    return error_body(injected_text(status), "sd.injected.error"), [(b"content-type", JSON.encode())]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Response(error_body(str(exc.detail), "sd.http.error"), status_code=exc.status_code,
                    media_type=JSON)


def create_app(options: JiraCloudOptions) -> JiraCloudSandbox:
    """Generate the data for `options` and build the app around it."""
    routes = [*servicedesk.routes(), *users.routes()]
    handlers = {ServiceDeskError: render_error, HTTPException: _http_error}
    built = assemble(options, generate, routes, handlers, CloudAuth, _injected_error)
    rate = options.customer_burst_per_second
    bucket = servicedesk.BurstBucket(rate) if rate is not None else None
    router = built.auth.app
    router.state.customer_bucket = bucket  # type: ignore[attr-defined]
    return JiraCloudSandbox(built.app, built.control, built.runtime, options, bucket)
