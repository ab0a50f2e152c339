"""Authentication in front of the Jira routes, as a pure ASGI middleware (cheap per request).

- `/rest/api/latest/...` is rewritten to `/rest/api/2/...` (Jira documents it as an alias).
- Basic (`username:password`, any active user with a password) and PAT (`Bearer <token>`, acting as its
  owner). Both are always on, whatever `version` says: that Jira 11 disables basic auth by default is a
  third-party claim only, with no official statement found.
- Bad credentials are rejected by Jira's auth filter before REST: 401 with a non-JSON body
  (HTML or an empty body, as widely observed), `X-Seraph-LoginReason: AUTHENTICATED_FAILED`.
  That header is what Jira's Seraph filter sends; the exact HTML is unverified: clients must not parse it.
- No credentials: the request goes on anonymously and routes that need a user answer 401 in JSON
  ("You are not authenticated. Authentication required to perform this operation." — wording from memory
  of real responses, unverified); `serverInfo` works anonymously, as clients probe it before logging in.
- Then, when rate limiting is on, one token per request from the caller's bucket (see ratelimit.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from idsync.sandbox.atlassian.jira.ratelimit import RateLimiter
from idsync.sandbox.atlassian.jira.web import Runtime, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LATEST = "/rest/api/latest/"
V2 = "/rest/api/2/"
_FAILED_HTML = (
    b"<html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized (401)</h1>"
    b"<p>Encountered a &quot;401 - Unauthorized&quot; error while loading this page.</p></body></html>"
)


class AuthMiddleware:
    """Resolves the caller into `scope["jira.user"]` (a user key, or None when anonymous)."""

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
            path = V2 + path[len(LATEST) :]
            scope["path"] = path
            scope["raw_path"] = path.encode()
        if not path.startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        key: str | None = None
        header = _authorization(scope)
        if header is not None:
            key = self._authenticate(header)
            if key is None:
                await _send(
                    send,
                    401,
                    _FAILED_HTML,
                    [
                        (b"content-type", b"text/html;charset=UTF-8"),
                        (b"x-seraph-loginreason", b"AUTHENTICATED_FAILED"),
                    ],
                )
                return
        scope["jira.user"] = key
        limiter = self.limiter
        if limiter is None:
            await self.app(scope, receive, send)
            return
        allowed, remaining, retry_after = limiter.take(
            key or "anonymous", self.runtime.clock.now().timestamp()
        )
        extra = limiter.headers(remaining, retry_after)
        if not allowed:
            # Body text unverified (Atlassian documents the headers, not the body); the format is Jira's.
            body = error_body(["Rate limit exceeded. Try again later."])
            await _send(send, 429, body, [(b"content-type", b"application/json;charset=UTF-8"), *extra])
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authenticate(self, header: bytes) -> str | None:
        state = self.runtime.state
        scheme, _, credentials = header.partition(b" ")
        scheme_name = scheme.lower()
        if scheme_name == b"bearer":
            token = credentials.strip().decode("latin-1")
            options = self.runtime.options
            owner = options.username if token == options.token else options.extra_tokens.get(token)
            user = state.user_by_name(owner) if owner else None
            return user.key if user is not None and user.active else None
        if scheme_name == b"basic":
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
