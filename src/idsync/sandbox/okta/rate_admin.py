"""`GET/PUT /_sandbox/rate_limits`: the Okta emulator's rate-limit buckets, changed while it runs.

A benchmark reads a large org once under generous limits, then measures the runs that follow under
Okta's documented defaults (`{"per_minute": null}`), without regenerating the org. The body takes the
same knobs as the CLI: `per_minute` (every bucket; null for the documented defaults), `buckets`
(overrides by name), `window_seconds`, `concurrency`. Windows start afresh.
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idsync.sandbox.okta.edge import RateLimiter
from idsync.sandbox.okta.options import OktaOptions, RateLimitOptions

_KNOBS = {"per_minute", "buckets", "window_seconds", "concurrency"}


def rate_limit_route(limiter: RateLimiter, options: OktaOptions) -> Route:
    """The admin route over `limiter` (and the options the emulator reports)."""

    async def rate_limits(request: Request) -> Response:
        if request.method == "PUT":
            body = await request.json()
            if not isinstance(body, dict) or set(body) - _KNOBS:
                unknown = sorted(set(body) - _KNOBS) if isinstance(body, dict) else body
                error = f"unknown rate-limit settings {unknown}; valid: {sorted(_KNOBS)}"
                return JSONResponse({"error": error}, status_code=400)
            merged = asdict(limiter.options) | body
            try:
                new = RateLimitOptions(**merged)
                limiter.configure(new)
            except (TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            options.rate_limit = new
        return JSONResponse(asdict(limiter.options) | {"limits": limiter.options.limits()})

    return Route("/_sandbox/rate_limits", rate_limits, methods=["GET", "PUT"])
