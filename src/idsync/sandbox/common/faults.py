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
from dataclasses import asdict, dataclass, field, fields
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
class FaultRule:
    """A deterministic fault: of the requests whose method and path match, let `skip` through, then
    fail the next `count` with `status` (or drop them when `status` is 0). Used by tests such as
    "a 500 on page 3 of the user listing": {"method": "GET", "path": "/api/v1/users", "skip": 2,
    "count": 10, "status": 500}."""

    path: str
    """Exact path, or a prefix when it ends with '*'."""
    method: str = "GET"
    skip: int = 0
    count: int = 1
    status: int = 500
    seen: int = 0
    after: bool = False
    """Carry the request out first, then lose its response (the 500 or the drop replaces it): the
    client cannot tell whether its write happened, as when a proxy times out on a slow backend."""

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule counts."""
        if method != self.method.upper():
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def fires(self) -> bool:
        """Count a matching request; True when this one is to fail."""
        self.seen += 1
        return self.skip < self.seen <= self.skip + self.count


@dataclass
class Faults:
    """What to inject. Rates are probabilities per request (0.0–1.0); `rules` are deterministic."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    fail_status: int = 500
    drop_rate: float = 0.0
    """Probability that a request's connection is cut before a complete response."""
    lost_rate: float = 0.0
    """Probability that a write is carried out but its response is lost (a `fail_status` instead, or
    a cut connection when `fail_status` is 0): the outcome the client sees is unknown."""
    rules: list[FaultRule] = field(default_factory=list)

    def update(self, changes: MutableMapping[str, Any]) -> None:
        """Apply a partial update from the admin API; unknown names raise ValueError naming them."""
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault setting(s) {unknown}; valid: {sorted(known)}")
        for name, value in changes.items():
            if name == "rules":
                self.rules = [rule if isinstance(rule, FaultRule) else FaultRule(**rule) for rule in value]
                continue
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
        for rule in faults.rules:
            if rule.matches(method, scope["path"]) and rule.fires():
                self.requests[f"{method} {scope['path']} (rule {rule.status or 'drop'})"] += 1
                if rule.after:
                    await self.app(scope, receive, _swallow)
                await self._fail(send, rule.status)
                return
        if faults.lost_rate and method not in _READ_METHODS and self.random.random() < faults.lost_rate:
            self.requests[f"{method} {scope['path']} (response lost)"] += 1
            await self.app(scope, receive, _swallow)
            await self._fail(send, faults.fail_status)
            return
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


    async def _fail(self, send: Send, status: int) -> None:
        """Answer with the vendor's error body for `status`, or cut the connection when it is 0."""
        if status == 0:
            await _drop(send)
            return
        body, headers = self.error_body(status)
        await _respond(send, status, body, headers)


async def _swallow(message: Message) -> None:
    """A `send` that discards the app's response (it is replaced by an injected fault)."""


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
