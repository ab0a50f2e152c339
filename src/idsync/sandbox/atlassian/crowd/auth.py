"""Application authentication in front of the Crowd routes, as a pure ASGI middleware.

- `/rest/usermanagement/latest/...` is rewritten to `/rest/usermanagement/1/...` (an alias in Crowd).
- Every REST call authenticates as an *application*: `Authorization: Basic base64(name:password)`.
  No or wrong credentials: 401 with `WWW-Authenticate: Basic realm="Crowd REST Service"` and a Crowd
  error entity, reason APPLICATION_ACCESS_DENIED (the exact reason and text of real Crowd's 401 were
  not captured; clients must not depend on them).
- A caller whose IP address is not among the application's remote addresses gets 403 with reason
  APPLICATION_ACCESS_DENIED (text unverified); an empty list accepts every address.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from idsync.sandbox.atlassian.crowd.web import Runtime, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LATEST = "/rest/usermanagement/latest/"
V1 = "/rest/usermanagement/1/"


class AuthMiddleware:
    """Resolves the calling application into `scope["crowd.application"]` or answers 401 / 403."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(LATEST):
            path = V1 + path[len(LATEST) :]
            scope["path"] = path
            scope["raw_path"] = path.encode()
        if not path.startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        accept = _header(scope, b"accept")
        application = self._authenticate(_header(scope, b"authorization"))
        if application is None:
            body, media = error_body(
                "APPLICATION_ACCESS_DENIED", "Application failed to authenticate", accept
            )
            headers = [
                (b"content-type", media.encode()),
                (b"www-authenticate", b'Basic realm="Crowd REST Service"'),
            ]
            await _send(send, 401, body, headers)
            return
        allowed = self.runtime.options.remote_addresses
        client = (scope.get("client") or ("", 0))[0]
        if allowed and client not in allowed:
            message = (
                f'Client with address "{client}" is forbidden from making requests to the application, '
                f"{application}."
            )
            body, media = error_body("APPLICATION_ACCESS_DENIED", message, accept)
            await _send(send, 403, body, [(b"content-type", media.encode())])
            return
        scope["crowd.application"] = application
        await self.app(scope, receive, send)

    def _authenticate(self, header: str | None) -> str | None:
        if header is None:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, sep, password = decoded.partition(":")
        # Crowd application names are case-insensitive, like every other name in Crowd.
        known = {k.lower(): (k, v) for k, v in self.runtime.options.credentials().items()}
        entry = known.get(name.lower()) if sep else None
        if entry is None or not hmac.compare_digest(entry[1].encode(), password.encode()):
            return None
        return entry[0]


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value).decode("latin-1")
    return None


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
