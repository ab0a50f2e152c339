"""GET /application-properties (anonymous, as clients probe it before logging in) and the container's
answer to a path no REST resource serves: JSON from Bitbucket 10.4, XML before (public test fixtures
show 10.4's JSON and 10.2's XML; older releases are assumed to answer like 10.2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.bitbucket.web import API, json, runtime_of


def build_number(version: tuple[int, int, int]) -> str:
    """Bitbucket's build number for a version: 9.4.3 → "9004003"."""
    major, minor, patch = version
    return f"{major}{minor:03d}{patch:03d}"


async def application_properties(request: Request) -> Response:
    """GET /application-properties: version, buildNumber, buildDate, displayName."""
    options = runtime_of(request).options
    return json(
        {
            "version": options.version,
            "buildNumber": build_number(options.version_tuple),
            "buildDate": "1735689600000",
            "displayName": "Bitbucket",
        }
    )


def not_found(request: Request) -> Response:
    """The servlet container's 404 for an unknown REST path (not Bitbucket's error envelope)."""
    if runtime_of(request).options.version_tuple >= (10, 4, 0):
        return json({"message": "HTTP 404 Not Found", "status-code": 404, "sub-code": -1}, status=404)
    body = "<status><status-code>404</status-code><message>HTTP 404 Not Found</message></status>"
    return Response(body, status_code=404, media_type="application/xml")


def routes() -> list[Route]:
    """The server routes under /rest/api/1.0."""
    return [Route(f"{API}/application-properties", application_properties, methods=["GET"])]
