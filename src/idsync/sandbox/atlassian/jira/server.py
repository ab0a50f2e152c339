"""GET /serverInfo (anonymous) and GET /myself: what clients call to test a connection."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import user_bean
from idsync.sandbox.atlassian.jira.web import base_url, json, require_user, runtime_of

VERSIONS = {9: (9, 12, 15), 10: (10, 3, 6)}
BUILDS = {9: 9120015, 10: 10030006}


async def server_info(request: Request) -> Response:
    """GET /serverInfo: version, versionNumbers, deploymentType, serverTime (emulator clock)."""
    runtime = runtime_of(request)
    major = runtime.options.version
    numbers = VERSIONS[major]
    now = runtime.clock.now()
    return json(
        {
            "baseUrl": base_url(request),
            "version": ".".join(map(str, numbers)),
            "versionNumbers": list(numbers),
            "deploymentType": runtime.options.deployment_type,
            "buildNumber": BUILDS[major],
            "buildDate": "2025-01-15T00:00:00.000+0000",
            "serverTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000",
            "scmInfo": "0000000000000000000000000000000000000000",
            "serverTitle": "Jira (idsync sandbox)",
        }
    )


async def myself(request: Request) -> Response:
    """GET /myself: the caller's UserBean."""
    user = require_user(request)
    return json(
        user_bean(base_url(request), user, runtime_of(request).state, request.query_params.get("expand", ""))
    )


def routes() -> list[Route]:
    """The server routes under /rest/api/2."""
    return [
        Route("/rest/api/2/serverInfo", server_info, methods=["GET"]),
        Route("/rest/api/2/myself", myself, methods=["GET"]),
    ]
