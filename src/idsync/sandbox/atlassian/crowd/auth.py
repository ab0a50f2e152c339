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

import hmac

from idsync.sandbox.atlassian.common.asgi import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    alias_latest,
    basic_pair,
    header,
    send_response,
)
from idsync.sandbox.atlassian.crowd.web import Runtime, error_body

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
        if not alias_latest(scope, LATEST, V1).startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        accept = _text(header(scope, b"accept"))
        application = self._authenticate(_text(header(scope, b"authorization")))
        if application is None:
            body, media = error_body(
                "APPLICATION_ACCESS_DENIED", "Application failed to authenticate", accept
            )
            headers = [
                (b"content-type", media.encode()),
                (b"www-authenticate", b'Basic realm="Crowd REST Service"'),
            ]
            await send_response(send, 401, body, headers)
            return
        allowed = self.runtime.options.remote_addresses
        client = (scope.get("client") or ("", 0))[0]
        if allowed and client not in allowed:
            message = (
                f'Client with address "{client}" is forbidden from making requests to the application, '
                f"{application}."
            )
            body, media = error_body("APPLICATION_ACCESS_DENIED", message, accept)
            await send_response(send, 403, body, [(b"content-type", media.encode())])
            return
        scope["crowd.application"] = application
        await self.app(scope, receive, send)

    def _authenticate(self, authorization: str | None) -> str | None:
        if authorization is None:
            return None
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        pair = basic_pair(credentials)
        if pair is None:
            return None
        name, password = pair
        # Crowd application names are case-insensitive, like every other name in Crowd.
        known = {k.lower(): (k, v) for k, v in self.runtime.options.credentials().items()}
        entry = known.get(name.lower())
        if entry is None or not hmac.compare_digest(entry[1].encode(), password.encode()):
            return None
        return entry[0]


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
