"""Authentication in front of the Bitbucket routes, as a pure ASGI middleware (cheap per request).

- `/rest/api/latest/...` is rewritten to `/rest/api/1.0/...` (Bitbucket serves the same API under both).
- Basic (`username:password`) and HTTP access tokens (`Bearer <token>`, acting as their owner).
- Bad credentials: 401 in Bitbucket's error envelope with the message Bitbucket documents and
  IncorrectPasswordAuthenticationException (the exception for a bad token is assumed to be the same).
- No credentials: the request goes on anonymously; routes that need a user answer 401.
- Authenticated responses carry `X-AUSERNAME` and `X-AUSERID`, the caller's name and id, which
  Bitbucket adds to its responses (from memory of real servers, unverified): clients learn who they
  are authenticated as from them, since REST 1.0 has no "myself" resource.
- Then, when rate limiting is on (off by default, as in Bitbucket), one token per request from the
  caller's bucket: the same token-bucket scheme and headers as Jira DC's rate limiting.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from idsync.sandbox.atlassian.bitbucket.web import EXC, Runtime, error_body
from idsync.sandbox.atlassian.jira.ratelimit import RateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LATEST = "/rest/api/latest/"
V1 = "/rest/api/1.0/"
_FAILED = error_body(
    "Authentication failed. Please check your credentials and try again.",
    exception=EXC + "auth.IncorrectPasswordAuthenticationException",
)
_JSON = (b"content-type", b"application/json;charset=UTF-8")


class AuthMiddleware:
    """Resolves the caller into `scope["bitbucket.user"]` (a user id, or None when anonymous)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.limiter: RateLimiter | None = None
        options = runtime.options
        if options.rate_limit_requests is not None:
            max_tokens = options.rate_limit_max or max(1, int(options.rate_limit_requests))
            self.limiter = RateLimiter(
                options.rate_limit_requests, max_tokens, options.rate_limit_interval_seconds
            )

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
        uid: int | None = None
        header = _authorization(scope)
        if header is not None:
            uid = self._authenticate(header)
            if uid is None:
                await _send(send, 401, _FAILED, [_JSON])
                return
        scope["bitbucket.user"] = uid
        extra: list[tuple[bytes, bytes]] = []
        if uid is not None:
            user = self.runtime.state.users[uid]
            extra += [(b"x-ausername", user.name.encode()), (b"x-auserid", str(user.id).encode())]
        limiter = self.limiter
        if limiter is not None:
            allowed, remaining, retry_after = limiter.take(
                str(uid) if uid is not None else "anonymous", self.runtime.clock.now().timestamp()
            )
            extra += limiter.headers(remaining, retry_after)
            if not allowed:
                body = error_body("Rate limit exceeded. Try again later.")  # text unverified
                await _send(send, 429, body, [_JSON, *extra])
                return
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authenticate(self, header: bytes) -> int | None:
        state = self.runtime.state
        scheme, _, credentials = header.partition(b" ")
        scheme_name = scheme.lower()
        if scheme_name == b"bearer":
            token = credentials.strip().decode("latin-1")
            options = self.runtime.options
            owner = options.username if token == options.token else options.extra_tokens.get(token)
            user = state.user_by_name(owner) if owner else None
            return user.id if user is not None and user.active else None
        if scheme_name == b"basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, sep, password = decoded.partition(":")
            user = state.user_by_name(username) if sep else None
            if user is None or not user.active or user.password is None or user.password != password:
                return None
            return user.id
        return None


def _authorization(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value)
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
