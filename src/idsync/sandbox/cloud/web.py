"""HTTP plumbing the SCIM routes share: the runtime, `application/scim+json` responses, request
bodies (JSON objects sent as application/json or application/scim+json) and resource URLs."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.web import EmulatorRuntime
from idsync.sandbox.atlassian.common.web import base_url as host_url
from idsync.sandbox.cloud.errors import SCIM_JSON, CloudError
from idsync.sandbox.cloud.options import CloudOptions
from idsync.sandbox.cloud.state import CloudState

PREFIX = "/scim/directory/{directory_id}"
"""Every SCIM route lives under the directory base URL; the id is checked by the auth middleware."""

_BODY_TYPES = ("application/json", "application/scim+json")

Runtime = EmulatorRuntime[CloudOptions, CloudState]


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of(request: Request) -> CloudState:
    """The directory's current data."""
    return runtime_of(request).state


def scim(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A SCIM JSON response."""
    return Response(orjson.dumps(data), status_code=status, media_type=SCIM_JSON, headers=headers)


def no_content() -> Response:
    """204 without a body."""
    return Response(status_code=204)


def directory_url(request: Request) -> str:
    """The directory base URL as the client addressed us (no trailing slash)."""
    return f"{host_url(request)}/scim/directory/{runtime_of(request).options.directory}"


async def body_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/415 SCIM error saying what is wrong."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _BODY_TYPES:
        raise CloudError(
            415,
            f"Unsupported Content-Type {content_type!r}; valid: application/json or application/scim+json",
        )
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError as exc:
        raise CloudError(400, f"The request body is not valid JSON: {exc.msg}", "invalidSyntax") from exc
    if not isinstance(data, dict):
        raise CloudError(400, "The request body must be a JSON object", "invalidSyntax")
    return data
