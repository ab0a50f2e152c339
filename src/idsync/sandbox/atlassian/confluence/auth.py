"""Authentication in front of the Confluence routes, as a pure ASGI middleware.

- Basic (`username:password` of any enabled user with a password) and a personal access token
  (`Authorization: Bearer <token>`, acting as the admin who owns it).
- Bad credentials are refused before REST with 401. Real servers answer with an HTML page or a short JSON
  body; the emulator sends the HTML form, so clients learn not to depend on a JSON body there.
- No credentials: the request goes on anonymously; routes that need a user answer 401 in JSON, and the
  application-links manifest and `/user/current` work anonymously as on a real server.
- A disabled user cannot log in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from idsync.sandbox.atlassian.confluence.web import Runtime

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_FAILED_HTML = (
    b"<html><head><title>Unauthorized</title></head><body><h1>HTTP Status 401 - Unauthorized</h1>"
    b"<p>Basic authentication failed or the access token is not valid.</p></body></html>"
)


class AuthMiddleware:
    """Resolves the caller into `scope["confluence.user"]` (a user key, or None when anonymous)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        key: str | None = None
        header = next((bytes(v) for k, v in scope["headers"] if k == b"authorization"), None)
        if header is not None:
            key = self._authenticate(header)
            if key is None:
                headers = [
                    (b"content-type", b"text/html;charset=UTF-8"),
                    (b"content-length", str(len(_FAILED_HTML)).encode()),
                    (b"www-authenticate", b'Basic realm="Confluence"'),
                ]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": _FAILED_HTML})
                return
        scope["confluence.user"] = key
        await self.app(scope, receive, send)

    def _authenticate(self, header: bytes) -> str | None:
        state = self.runtime.state
        scheme, _, credentials = header.partition(b" ")
        if scheme.lower() == b"bearer":
            options = self.runtime.options
            if credentials.strip().decode("latin-1") != options.token:
                return None
            user = state.user_by_name(options.username)
            return user.key if user is not None and user.active else None
        if scheme.lower() == b"basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, sep, password = decoded.partition(":")
            user = state.user_by_name(username) if sep else None
            if user is None or not user.active or user.password is None or user.password != password:
                return None
            return user.key
        return None
