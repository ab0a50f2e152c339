"""Fault injection as a pure ASGI middleware: latency with jitter, 5xx on reads and/or writes, dropped
connections, and per-route request counting. Cheap when nothing is injected, so the emulators stay
far from being the bottleneck of a benchmark.

Paths under `/_sandbox/` (the admin API) are never delayed, failed or counted.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, fields
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ErrorBody = Callable[[int], tuple[bytes, list[tuple[bytes, bytes]]]]
"""status → (body, extra headers): each emulator renders injected errors in its vendor's format."""

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Faults:
    """What to inject. Rates are probabilities per request (0.0–1.0)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    fail_status: int = 500
    drop_rate: float = 0.0
    """Probability that a request's connection is cut before a complete response."""

    def update(self, changes: MutableMapping[str, Any]) -> None:
        """Apply a partial update from the admin API; unknown names raise ValueError naming them."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault setting(s) {unknown}; valid: {sorted(known)}")
        for name, value in changes.items():
            current = getattr(self, name)
            setattr(self, name, type(current)(value))

    def as_dict(self) -> dict[str, Any]:
        """For the admin API."""
        return asdict(self)


class FaultMiddleware:
    """Wraps an emulator app: counts requests by route, then delays, fails or drops as configured."""

    def __init__(self, app: ASGIApp, faults: Faults, error_body: ErrorBody, seed: int = 0) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body
        self.random = random.Random(seed)
        self.requests: Counter[str] = Counter()
        """Requests by "METHOD /route/template" (path parameters shown as {name})."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        faults = self.faults
        method = scope["method"]
        if faults.latency_ms or faults.jitter_ms:
            delay = faults.latency_ms + self.random.random() * faults.jitter_ms
            await asyncio.sleep(delay / 1000.0)
        rate = faults.read_fail_rate if method in _READ_METHODS else faults.write_fail_rate
        if faults.drop_rate and self.random.random() < faults.drop_rate:
            self.requests[f"{method} {scope['path']} (dropped)"] += 1
            await _drop(send)
            return
        if rate and self.random.random() < rate:
            self.requests[f"{method} {scope['path']} (injected {faults.fail_status})"] += 1
            body, headers = self.error_body(faults.fail_status)
            await _respond(send, faults.fail_status, body, headers)
            return
        await self.app(scope, receive, send)
        route = scope.get("route")
        template = getattr(route, "path", None) or scope["path"]
        self.requests[f"{method} {template}"] += 1


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    base = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": body})


class DroppedConnection(Exception):
    """Raised inside the server to make it cut the connection mid-response (an injected fault)."""


async def _drop(send: Send) -> None:
    # Promise a body, send a fragment, then fail: the server closes the socket and the client sees
    # an incomplete response, as with a proxy or load balancer cutting the connection.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
    await send({"type": "http.response.body", "body": b'{"', "more_body": True})
    raise DroppedConnection("injected connection drop")
