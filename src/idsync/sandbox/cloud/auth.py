"""In front of the SCIM routes, as a pure ASGI middleware: the directory API key, the directory id of
the path, and the rate limit.

- Only `Authorization: Bearer <directory API key>` is accepted; anything else (no header, another
  scheme, a wrong key) is 401 with a SCIM error body.
- A path naming another directory id is 404 (the key belongs to one directory).
- With a rate limit, each request of a key spends a token; without one left, 429 with Retry-After.
"""

from __future__ import annotations

import hmac

from idsync.sandbox.atlassian.common.asgi import ASGIApp, Receive, Scope, Send, header, send_response
from idsync.sandbox.cloud.errors import SCIM_JSON, error_body
from idsync.sandbox.cloud.ratelimit import RateLimiter
from idsync.sandbox.cloud.web import Runtime

_SCIM_ROOT = "/scim/directory/"


class AuthMiddleware:
    """Refuses what the directory would refuse before any route runs."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.limiter = self._new_limiter()

    def _new_limiter(self) -> RateLimiter | None:
        options = self.runtime.options
        return RateLimiter(options.rate_limit, options.burst) if options.rate_limit else None

    def reset(self) -> None:
        """Forget the rate-limit buckets (on a sandbox reset)."""
        self.limiter = self._new_limiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] != "http" or path.startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        options = self.runtime.options
        authorization = header(scope, b"authorization") or b""
        scheme, _, credentials = authorization.partition(b" ")
        expected = options.api_key.encode()
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials.strip(), expected):
            detail = "Unauthorized: a valid directory API key is required (Authorization: Bearer <key>)"
            await _error(send, 401, detail, [(b"www-authenticate", b'Bearer realm="Atlassian SCIM"')])
            return
        directory = path[len(_SCIM_ROOT) :].split("/", 1)[0] if path.startswith(_SCIM_ROOT) else None
        if directory != options.directory:
            await _error(send, 404, f"Resource not found: {path}")
            return
        if self.limiter is not None:
            wait = self.limiter.take(options.api_key, self.runtime.clock.now().timestamp())
            if wait:
                await _error(send, 429, f"Too many requests: rate limit exceeded, retry after {wait} s",
                             [(b"retry-after", str(wait).encode())])  # fmt: skip
                return
        await self.app(scope, receive, send)


async def _error(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send_response(
        send, status, error_body(status, detail), [(b"content-type", SCIM_JSON.encode()), *(extra or [])]
    )
