"""Bearer-token authentication of the REST API, as a pure ASGI middleware in front of every route.

A middleware rather than a FastAPI dependency, so no request is answered before the token is checked:
not a malformed body (FastAPI parses bodies before dependencies), not an unknown route (a 404 would
tell a stranger which routes exist). Only the OpenAPI document and its viewer are open. The token is
checked in a worker thread (`ApiTokenCheck.verify` may read the store) with a constant-time compare.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from idsync.service.tokens import ApiTokenCheck

OPEN_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="idsync"'}


def _unauthorized(message: str) -> JSONResponse:
    body = {"error": {"status": 401, "message": message, "field": "Authorization"}}
    return JSONResponse(body, status_code=401, headers=_CHALLENGE)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class BearerAuth:
    """Answers 401 unless the request carries `Authorization: Bearer <an active API token>`."""

    def __init__(self, app: ASGIApp, tokens: ApiTokenCheck) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token of HTTP requests to anything but the open paths."""
        if scope["type"] != "http" or _route_path(scope) in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _unauthorized(
                "Authorization: send 'Authorization: Bearer <token>' with an API token "
                "(create one with: idsync api token create NAME)"
            )(scope, receive, send)
            return
        name = await asyncio.to_thread(self.tokens.verify, token.strip())
        if name is None:
            refused = _unauthorized("Authorization: the API token is not valid or was revoked")
            await refused(scope, receive, send)
            return
        scope.setdefault("state", {})["api_token"] = name
        await self.app(scope, receive, send)
