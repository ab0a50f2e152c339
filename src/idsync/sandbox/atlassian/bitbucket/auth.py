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

from idsync.sandbox.atlassian.bitbucket.web import EXC, Runtime, error_body
from idsync.sandbox.atlassian.common.asgi import (
    ASGIApp,
    Headers,
    Receive,
    Scope,
    Send,
    alias_latest,
    authenticate,
    forward,
    header,
    send_response,
)
from idsync.sandbox.atlassian.jira.ratelimit import RateLimiter, limiter_for

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
        self.limiter: RateLimiter | None = limiter_for(runtime.options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not alias_latest(scope, LATEST, V1).startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        uid: int | None = None
        extra: Headers = []
        authorization = header(scope, b"authorization")
        if authorization is not None:
            user = authenticate(authorization, self.runtime.state.user_by_name, self._token_owner)
            if user is None:
                await send_response(send, 401, _FAILED, [_JSON])
                return
            uid = user.id
            extra += [(b"x-ausername", user.name.encode()), (b"x-auserid", str(user.id).encode())]
        scope["bitbucket.user"] = uid
        limiter = self.limiter
        if limiter is not None:
            allowed, limits = limiter.admit(
                str(uid) if uid is not None else "anonymous", self.runtime.clock.now().timestamp()
            )
            extra += limits
            if not allowed:
                body = error_body("Rate limit exceeded. Try again later.")  # text unverified
                await send_response(send, 429, body, [_JSON, *extra])
                return
        await forward(self.app, scope, receive, send, extra)

    def _token_owner(self, token: str) -> str | None:
        options = self.runtime.options
        return options.username if token == options.token else options.extra_tokens.get(token)
