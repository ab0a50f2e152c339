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

from idsync.sandbox.atlassian.common.asgi import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    authenticate,
    header,
)
from idsync.sandbox.atlassian.confluence.web import Runtime

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
        authorization = header(scope, b"authorization")
        if authorization is not None:
            user = authenticate(authorization, self.runtime.state.user_by_name, self._token_owner)
            if user is None:
                headers = [
                    (b"content-type", b"text/html;charset=UTF-8"),
                    (b"content-length", str(len(_FAILED_HTML)).encode()),
                    (b"www-authenticate", b'Basic realm="Confluence"'),
                ]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": _FAILED_HTML})
                return
            key = user.key
        scope["confluence.user"] = key
        await self.app(scope, receive, send)

    def _token_owner(self, token: str) -> str | None:
        # only the admin's own PAT: Confluence has no extra tokens here
        options = self.runtime.options
        return options.username if token == options.token else None
