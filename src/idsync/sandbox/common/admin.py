"""The `/_sandbox/` admin API shared by every emulator — clearly outside any vendor's namespace.

    GET  /_sandbox/faults          current fault settings
    PUT  /_sandbox/faults          partial update, e.g. {"write_fail_rate": 0.1, "latency_ms": 10}
                                   or deterministic rules: {"rules": [{"path": "/api/v1/users",
                                   "skip": 2, "count": 10, "status": 500}]}
    GET  /_sandbox/state           the emulator's whole state as JSON
    POST /_sandbox/reset           back to the generated data (faults cleared, clock reset)
    POST /_sandbox/clock           {"advance_seconds": 3600} steps the clock forward
    GET  /_sandbox/stats           requests served, by method and route template
    DELETE /_sandbox/stats         zero the counters
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import FaultMiddleware, Faults


class SandboxControl:
    """The knobs of one emulator instance, reachable from tests in-process and over `/_sandbox/`."""

    def __init__(
        self,
        faults: Faults,
        clock: Clock,
        dump_state: Callable[[], Any],
        reset_state: Callable[[], None],
    ) -> None:
        self.faults = faults
        self.clock = clock
        self._dump_state = dump_state
        self._reset_state = reset_state
        self._initial_faults = Faults(**{k: v for k, v in faults.as_dict().items() if k != "rules"})
        self.middleware: FaultMiddleware | None = None
        """Set when the app is wrapped; holds the request counters."""

    def reset(self) -> None:
        """Restore generated data, initial faults and the real clock."""
        self._reset_state()
        self.faults.update(self._initial_faults.as_dict())
        self.faults.rules = []
        self.clock.offset = self.clock.offset * 0
        if self.middleware is not None:
            self.middleware.requests.clear()

    def stats(self) -> dict[str, int]:
        """Requests served so far by "METHOD /route"."""
        return dict(self.middleware.requests) if self.middleware else {}

    def routes(self) -> list[Route]:
        """The admin routes, to mount in the emulator's router."""

        async def get_faults(request: Request) -> Response:
            return JSONResponse(self.faults.as_dict())

        async def put_faults(request: Request) -> Response:
            try:
                self.faults.update(await request.json())
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(self.faults.as_dict())

        async def state(request: Request) -> Response:
            return JSONResponse(self._dump_state())

        async def reset(request: Request) -> Response:
            self.reset()
            return Response(status_code=204)

        async def clock(request: Request) -> Response:
            body = await request.json()
            try:
                now = self.clock.advance(float(body["advance_seconds"]))
            except (KeyError, TypeError, ValueError):
                return JSONResponse({"error": 'body must be {"advance_seconds": <number>}'}, status_code=400)
            return JSONResponse({"now": now.isoformat()})

        async def get_stats(request: Request) -> Response:
            return JSONResponse(self.stats())

        async def clear_stats(request: Request) -> Response:
            if self.middleware is not None:
                self.middleware.requests.clear()
            return Response(status_code=204)

        return [
            Route("/_sandbox/faults", get_faults, methods=["GET"]),
            Route("/_sandbox/faults", put_faults, methods=["PUT"]),
            Route("/_sandbox/state", state, methods=["GET"]),
            Route("/_sandbox/reset", reset, methods=["POST"]),
            Route("/_sandbox/clock", clock, methods=["POST"]),
            Route("/_sandbox/stats", get_stats, methods=["GET"]),
            Route("/_sandbox/stats", clear_stats, methods=["DELETE"]),
        ]
