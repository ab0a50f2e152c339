"""A router behind one layer that renders the emulated product's errors: every emulator's app.

Used instead of `Starlette(exception_handlers=...)`, whose two middlewares (ServerErrorMiddleware and
ExceptionMiddleware) wrap every request, and every message it sends, once more each: on the Okta
emulator, where this shell began, they cost a fifth of a simple GET. Measured in-process on the Jira
emulator (its app called directly, no server; the two shells over the same routes, interleaved, 12 rounds
of 6,000 requests, POST /group 201 and GET /user 404; two runs, on a machine whose speed moved within
each): best 44.6 and 53.9 µs per request through Starlette's shell, 41.4 and 42.8 µs through this one.
Under uvicorn the emulator spends ~0.24 ms per request in all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import State
from starlette.requests import Request
from starlette.routing import BaseRoute, Router
from starlette.types import ExceptionHandler, Receive, Scope, Send


class ProductApp:
    """`router` behind one layer that renders errors with `exception_handlers`, found as Starlette
    finds them (by the exception's class, then its bases in order). Every emulator gives one for
    Starlette's HTTPException, so the router's 404 and 405 come out in the product's format. Where an
    exception is rendered:
    - raised in a route: by Starlette's own per-route wrapper, which reads the handlers from the scope
      key ExceptionMiddleware would have set;
    - raised by the router (404 for an unknown path, 405 for a method the path does not take) or by
      a handler's own code before its route runs: here.
    A bug (an exception no handler takes) reaches uvicorn, which logs it and answers 500, as
    ServerErrorMiddleware would. Routes reach `.state` as `request.app.state`, as on a Starlette app.
    """

    def __init__(self, router: Router, exception_handlers: Mapping[Any, ExceptionHandler]) -> None:
        self.router = router
        self.state = State()
        self._handlers = dict(exception_handlers)
        self._scoped: tuple[dict[Any, ExceptionHandler], dict[int, ExceptionHandler]] = (self._handlers, {})

    @property
    def routes(self) -> list[BaseRoute]:
        """The router's routes, as on a Starlette app."""
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        scope["starlette.exception_handlers"] = self._scoped
        try:
            await self.router(scope, receive, send)
        except Exception as exc:
            # Nothing has been sent when an exception gets here: the router raises before it calls a
            # route, and a route's own wrapper renders what it raises (or, once its answer has begun,
            # raises a RuntimeError, which no handler takes)
            handler = next((self._handlers[c] for c in type(exc).__mro__ if c in self._handlers), None)
            if scope["type"] != "http" or handler is None:
                raise
            response = await handler(Request(scope, receive, send), exc)
            if response is not None:
                await response(scope, receive, send)
