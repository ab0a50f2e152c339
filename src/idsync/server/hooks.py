"""`/hooks/okta/{connection}`: the Okta Event Hooks receiver of `idsync serve`.

    GET  with `X-Okta-Verification-Challenge: <value>` → 200 {"verification": "<value>"}
         (Okta's one-time check when the hook is verified; the only GET Okta sends)
    POST an event envelope → 200 at once; the events are turned into syncs after the answer went out
         (`idsync.service.hooks`), so Okta's 3-second deadline never depends on a run

Every request must carry the connection's `event_hooks.secret` in `event_hooks.header`
(`Authorization` unless configured otherwise), compared in constant time: otherwise 401 and nothing
is read or queued. Okta's documents only imply that the verification GET carries the header too, so
a GET without it is answered (the challenge proves nothing to anyone but Okta); a GET with a wrong
one is not. A connection without `event_hooks` is 404 here. The secret is never logged.
"""

from __future__ import annotations

import hmac

import orjson
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idsync import metrics
from idsync.config.connections import EventHooks
from idsync.service.hooks import HOOK_PATH, OktaHooks

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Okta batches events into one delivery; a LogEvent is ~2 KB, so this is thousands of events."""
CHALLENGE_HEADER = "x-okta-verification-challenge"


def authorized(given: str | None, hooks: EventHooks) -> bool:
    """Whether the request's header value is the configured secret (constant time)."""
    expected = hooks.secret.get_secret_value().encode()
    return hmac.compare_digest((given or "").encode(), expected)


def hook_routes(hooks: OktaHooks) -> list[Route]:
    """The receiver routes (one path; the connection is a path parameter)."""

    async def receive(request: Request) -> Response:
        """Okta's verification challenge (GET) or a delivery (POST)."""
        name = request.path_params["connection"]
        settings = hooks.connections.get(name)
        if settings is None:
            # Label "unknown": anyone can call any path, and every name would be a new time series.
            return _answer("unknown", 404, {"error": f"no okta connection with event_hooks named {name!r}"})
        given = request.headers.get(settings.header)
        tolerated = request.method == "GET" and given is None
        if not tolerated and not authorized(given, settings):
            log.warning("hook rejected", connection=name, method=request.method, reason="bad secret header",
                        header=settings.header, client=request.client.host if request.client else None)
            return _answer(name, 401, {"error": f"missing or wrong {settings.header} header"})
        if request.method == "GET":
            challenge = request.headers.get(CHALLENGE_HEADER)
            if not challenge:
                return _answer(name, 400, {"error": f"GET needs the {CHALLENGE_HEADER} header"})
            log.info("hook verified", connection=name)
            return _answer(name, 200, {"verification": challenge})
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _answer(name, 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _answer(name, 400, {"error": "the body is not JSON"})

        async def process() -> None:
            hooks.accept(name, envelope)

        metrics.record_hook_delivery(name, 200)
        return Response(status_code=200, background=BackgroundTask(process))

    return [Route(HOOK_PATH, receive, methods=["GET", "POST"])]


def _answer(connection: str, status: int, body: dict[str, str]) -> JSONResponse:
    metrics.record_hook_delivery(connection, status)
    return JSONResponse(body, status_code=status)
