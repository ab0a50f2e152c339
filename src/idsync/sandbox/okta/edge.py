"""The outermost ASGI layer of the Okta emulator: what every response carries and every request
passes first:

- `X-Okta-Request-Id` on every response;
- SSWS authentication of /api/v1 (401 E0000011), the token put in the scope for the routes;
- rate limits: per-endpoint buckets counted over a window of the emulator clock (so stepping
  `/_sandbox/clock` resets them), `X-Rate-Limit-Limit/-Remaining/-Reset` (epoch seconds) on every
  /api/v1 response, 429 E0000047 when a bucket is empty;
- the org's concurrent-request limit: 429 with `X-Rate-Limit-Limit: 0` and `-Remaining: 0`.
"""

from __future__ import annotations

import itertools
import math
import re
import secrets
from dataclasses import dataclass

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import ASGIApp, Message, Receive, Scope, Send
from idsync.sandbox.okta.errors import INVALID_TOKEN, JSON_TYPE, RATE_LIMITED, OktaError
from idsync.sandbox.okta.model import Token
from idsync.sandbox.okta.options import RateLimitOptions

_SEGMENT = r"[^/]+"
_BUCKET_RULES: list[tuple[frozenset[str] | None, re.Pattern[str], str]] = [
    (frozenset({"GET", "POST"}), re.compile(r"/api/v1/users/?"), "users"),
    (frozenset({"GET"}), re.compile(rf"/api/v1/users/{_SEGMENT}"), "user_get"),
    (frozenset({"POST", "PUT", "DELETE"}), re.compile(rf"/api/v1/users/{_SEGMENT}"), "user_write"),
    (None, re.compile(r"/api/v1/groups/?"), "groups"),
    (None, re.compile(rf"/api/v1/groups/{_SEGMENT}(/.*)?"), "group"),
    (None, re.compile(rf"/api/v1/apps/{_SEGMENT}"), "app"),
    (None, re.compile(r"/api/v1/apps(/.*)?"), "apps"),
    (None, re.compile(r"/api/v1/logs/?"), "logs"),
]


def bucket_of(method: str, path: str) -> str:
    """The rate-limit bucket a request counts against."""
    for methods, pattern, name in _BUCKET_RULES:
        if (methods is None or method in methods) and pattern.fullmatch(path):
            return name
    return "other"


@dataclass
class _Bucket:
    limit: int
    used: int = 0
    window_start: float = 0.0


class RateLimiter:
    """Fixed windows per bucket, measured on the emulator clock."""

    def __init__(self, options: RateLimitOptions, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self.buckets = {name: _Bucket(limit) for name, limit in options.limits().items()}
        self.in_flight = 0
        self.rejected = 0
        """429s answered so far (tests prove a client met the limit and waited it out)."""

    def configure(self, options: RateLimitOptions) -> None:
        """Apply new limits (PUT /_sandbox/rate_limits), starting every window afresh; raises
        ValueError for an unknown bucket name."""
        self.buckets = {name: _Bucket(limit) for name, limit in options.limits().items()}
        self.options = options

    def reset(self) -> None:
        """Forget all counts (admin reset)."""
        for bucket in self.buckets.values():
            bucket.used = 0
            bucket.window_start = 0.0
        self.in_flight = 0

    def take(self, name: str) -> tuple[bool, int, int, int]:
        """Count one request: (allowed, limit, remaining, reset epoch seconds)."""
        bucket = self.buckets[name]
        now = self.clock.now().timestamp()
        window = self.options.window_seconds
        if now >= bucket.window_start + window:
            bucket.window_start = now
            bucket.used = 0
        reset = math.ceil(bucket.window_start + window)
        if bucket.used >= bucket.limit:
            self.rejected += 1
            return False, bucket.limit, 0, reset
        bucket.used += 1
        return True, bucket.limit, bucket.limit - bucket.used, reset


class OktaEdge:
    """Request id, SSWS auth, rate limits and concurrency in front of the routes."""

    def __init__(
        self,
        app: ASGIApp,
        tokens: dict[str, Token],
        limiter: RateLimiter,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.limiter = limiter
        # Request ids: a random per-process prefix and a counter (unique, and far cheaper than urandom).
        self._prefix = secrets.token_urlsafe(12)
        self._counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"{self._prefix}{next(self._counter):010x}".encode()
        path: str = scope["path"]
        if not path.startswith("/api/v1"):
            await self.app(scope, receive, _with_headers(send, [(b"x-okta-request-id", request_id)]))
            return
        limiter = self.limiter
        if limiter.in_flight >= limiter.options.concurrency:
            limiter.rejected += 1
            reset = str(math.ceil(limiter.clock.now().timestamp()) + 60).encode()
            await _error(
                send,
                RATE_LIMITED,
                [
                    (b"x-okta-request-id", request_id),
                    (b"x-rate-limit-limit", b"0"),
                    (b"x-rate-limit-remaining", b"0"),
                    (b"x-rate-limit-reset", reset),
                ],
            )
            return
        allowed, limit, remaining, reset_at = limiter.take(bucket_of(scope["method"], path))
        headers = [
            (b"x-okta-request-id", request_id),
            (b"x-rate-limit-limit", str(limit).encode()),
            (b"x-rate-limit-remaining", str(remaining).encode()),
            (b"x-rate-limit-reset", str(reset_at).encode()),
        ]
        if not allowed:
            await _error(send, RATE_LIMITED, headers)
            return
        token = self._authenticate(scope)
        if token is None:
            await _error(send, INVALID_TOKEN, headers)
            return
        scope["okta.token"] = token
        limiter.in_flight += 1
        try:
            await self.app(scope, receive, _with_headers(send, headers))
        finally:
            limiter.in_flight -= 1

    def _authenticate(self, scope: Scope) -> Token | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, secret = value.decode("latin-1").partition(" ")
                if scheme == "SSWS":
                    return self.tokens.get(secret)
                return None
        return None


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", [])) + headers
        await send(message)

    return wrapped


async def _error(send: Send, error: OktaError, headers: list[tuple[bytes, bytes]]) -> None:
    body = error.body()
    base = [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status, "headers": base + headers})
    await send({"type": "http.response.body", "body": body})
