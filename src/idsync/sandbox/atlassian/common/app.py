"""The skeleton every Atlassian emulator's `create_app` builds:

FaultMiddleware (latency, injected errors in the product's format, drops, request counts)
└── the product's AuthMiddleware
    └── ProductApp (sandbox/common/product_app.py): the product's error rendering in one layer, over
        └── a TableRouter (routing.py): the product's routes, then the shared /_sandbox/ admin routes

The data is generated once at start; a reset regenerates exactly the same data, timestamps included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ExceptionHandler

from idsync.sandbox.atlassian.common.asgi import ASGIApp
from idsync.sandbox.atlassian.common.routing import TableRouter
from idsync.sandbox.atlassian.common.web import EmulatorRuntime
from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import ErrorBody, FaultMiddleware, Faults
from idsync.sandbox.common.product_app import ProductApp

_STATUS_TEXT = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
    429: "Rate limit exceeded.",
}


class FaultOptions(Protocol):
    """The options every emulator has: its data seed and the faults it starts with."""

    @property
    def seed(self) -> int: ...

    @property
    def latency_ms(self) -> float: ...

    @property
    def jitter_ms(self) -> float: ...

    @property
    def read_fail_rate(self) -> float: ...

    @property
    def write_fail_rate(self) -> float: ...


class DumpableState(Protocol):
    """An emulator's state: `dump()` gives what `GET /_sandbox/state` shows."""

    def dump(self) -> Any: ...


OptionsT = TypeVar("OptionsT", bound=FaultOptions)
StateT = TypeVar("StateT", bound=DumpableState)
AuthT = TypeVar("AuthT", bound=ASGIApp)


@dataclass
class Emulator(Generic[OptionsT, StateT, AuthT]):
    """What `assemble` built: serve `app`; `auth` is the product's middleware under the faults."""

    app: FaultMiddleware
    control: SandboxControl
    runtime: EmulatorRuntime[OptionsT, StateT]
    auth: AuthT


def assemble(
    options: OptionsT,
    generate: Callable[[OptionsT, datetime], StateT],
    routes: Sequence[BaseRoute],
    exception_handlers: Mapping[Any, ExceptionHandler],
    auth: Callable[[ASGIApp, EmulatorRuntime[OptionsT, StateT]], AuthT],
    injected_error: ErrorBody,
    on_reset: Callable[[AuthT], None] | None = None,
) -> Emulator[OptionsT, StateT, AuthT]:
    """Generate the data for `options` and build the emulator around it: `routes` and the admin
    routes in a router with `exception_handlers`, wrapped in `auth(router, runtime)`, wrapped in the
    fault middleware that renders its injected errors with `injected_error`. A reset regenerates the
    data and then calls `on_reset(auth)` (to drop what the middleware keeps, e.g. rate-limit buckets)."""
    clock = Clock()
    generated_at = clock.now()
    runtime = EmulatorRuntime(options, clock, generate(options, generated_at))

    def reset_state() -> None:
        runtime.state = generate(options, generated_at)
        if on_reset is not None:
            on_reset(middleware)

    faults = Faults(
        latency_ms=options.latency_ms,
        jitter_ms=options.jitter_ms,
        read_fail_rate=options.read_fail_rate,
        write_fail_rate=options.write_fail_rate,
    )
    control = SandboxControl(
        faults, clock, lambda: orjson.loads(orjson.dumps(runtime.state.dump())), reset_state
    )
    router = ProductApp(TableRouter([*routes, *control.routes()]), exception_handlers)
    router.state.runtime = runtime
    middleware = auth(router, runtime)
    app = FaultMiddleware(middleware, faults, injected_error, seed=options.seed)
    control.middleware = app
    return Emulator(app, control, runtime, middleware)


def injected_text(status: int) -> str:
    """The message of an injected error in Jira's and Bitbucket's wording."""
    text = _STATUS_TEXT.get(status, f"Injected error {status}")
    return f"{text} (injected by the idsync sandbox)"


def jersey_text(request: Request, exc: HTTPException) -> str:
    """What Jersey says for an unknown path (404) or method (405); the detail of other HTTP errors."""
    if exc.status_code == 404:
        return f"null for uri: {request.url}"
    if exc.status_code == 405:
        return f"Method {request.method} is not allowed for {request.url.path}"
    return str(exc.detail)
