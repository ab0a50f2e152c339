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

from idsync.sandbox.atlassian.common.asgi import (
    ASGIApp,
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
from idsync.sandbox.atlassian.jira.web import Runtime, error_body

LATEST = "/rest/api/latest/"
V2 = "/rest/api/2/"
_FAILED_HTML = (
    b"<html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized (401)</h1>"
    b"<p>Encountered a &quot;401 - Unauthorized&quot; error while loading this page.</p></body></html>"
)
_JSON = (b"content-type", b"application/json;charset=UTF-8")
_FAILED_HEADERS = [
    (b"content-type", b"text/html;charset=UTF-8"),
    (b"x-seraph-loginreason", b"AUTHENTICATED_FAILED"),
]


class AuthMiddleware:
    """Resolves the caller into `scope["jira.user"]` (a user key, or None when anonymous)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.limiter: RateLimiter | None = limiter_for(runtime.options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not alias_latest(scope, LATEST, V2).startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        key: str | None = None
        authorization = header(scope, b"authorization")
        if authorization is not None:
            user = authenticate(authorization, self.runtime.state.user_by_name, self._token_owner)
            if user is None:
                await send_response(send, 401, _FAILED_HTML, _FAILED_HEADERS)
                return
            key = user.key
        scope["jira.user"] = key
        limiter = self.limiter
        if limiter is None:
            await self.app(scope, receive, send)
            return
        allowed, extra = limiter.admit(key or "anonymous", self.runtime.clock.now().timestamp())
        if not allowed:
            # Body text unverified (Atlassian documents the headers, not the body); the format is Jira's.
            body = error_body(["Rate limit exceeded. Try again later."])
            await send_response(send, 429, body, [_JSON, *extra])
            return
        await forward(self.app, scope, receive, send, extra)

    def _token_owner(self, token: str) -> str | None:
        options = self.runtime.options
        return options.username if token == options.token else options.extra_tokens.get(token)
