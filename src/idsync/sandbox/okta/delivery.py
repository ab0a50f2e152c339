"""Event-hook verification and delivery.

Verification: GET <uri> with `x-okta-verification-challenge`, expecting 200 {"verification": <value>}
(3 s timeout, one retry). Delivery: System Log events of subscribed types are batched for
`hook_batch_ms`, then POSTed to every ACTIVE + VERIFIED hook in the documented envelope, in a
background task of the server's event loop; a 5xx, timeout or connection error is retried once,
a 4xx never (at-least-once: a receiver may see an envelope twice). Sent with pyreqwest, idsync's one
HTTP stack, but not through `idsync.http.HttpClient`: the emulator plays Okta, whose retry rule for
hooks (once) is not idsync's."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta
from typing import Any

import orjson
from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import PyreqwestError

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.okta.model import EventHook, iso


def _headers(hook: EventHook) -> dict[str, str]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    for header in hook.headers:
        headers[header["key"]] = header["value"]
    if hook.auth_key and hook.auth_value is not None:
        headers[hook.auth_key] = hook.auth_value
    return headers


async def verify(hook: EventHook, wait_seconds: float) -> bool:
    """Send the one-time verification GET; True when the receiver echoes the challenge."""
    challenge = secrets.token_urlsafe(24)
    headers = {**_headers(hook), "x-okta-verification-challenge": challenge}
    headers.pop("Content-Type", None)
    async with _client(wait_seconds) as client:
        for _attempt in range(2):
            try:
                response = await client.get(hook.uri).headers(headers).build().send()
                status, body = response.status, (await response.bytes()).to_bytes()
            except PyreqwestError:
                continue
            if status == 200:
                try:
                    answer = orjson.loads(body)
                except orjson.JSONDecodeError:
                    return False
                return isinstance(answer, dict) and answer.get("verification") == challenge
            if status < 500:
                return False
    return False


def _client(timeout: float) -> Client:
    """A client with a total timeout per request (and, pyreqwest's default, no cookie store: a
    receiver's cookies are not Okta's business)."""
    return ClientBuilder().timeout(timedelta(seconds=timeout)).build()


class Deliverer:
    """Queues events and delivers them in batches; `hooks` is the live registry (state.hooks)."""

    def __init__(
        self,
        hooks: dict[str, EventHook],
        clock: Clock,
        batch_ms: float,
        timeout: float,
        source_base: str = "https://sandbox.okta.local",
    ) -> None:
        self.hooks = hooks
        self.clock = clock
        self.batch_seconds = batch_ms / 1000.0
        self.timeout = timeout
        self.source_base = source_base
        self.pending: list[dict[str, Any]] = []
        self.delivered = 0
        self.failed = 0
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        """System Log listener: queue the event and make sure the background task runs."""
        if not any(h.status == "ACTIVE" and h.verification_status == "VERIFIED" for h in self.hooks.values()):
            return
        self.pending.append(event)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # changed outside the server (e.g. by a test in-process): sent with the next batch
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run())
        assert self._wake is not None
        self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        async with _client(self.timeout) as client:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await asyncio.sleep(self.batch_seconds)
                batch, self.pending = self.pending, []
                if batch:
                    await asyncio.gather(
                        *(self._send(client, hook, batch) for hook in list(self.hooks.values()))
                    )

    async def _send(self, client: Client, hook: EventHook, batch: list[dict[str, Any]]) -> None:
        if hook.status != "ACTIVE" or hook.verification_status != "VERIFIED":
            return
        events = [e for e in batch if e["eventType"] in hook.event_types]
        if not events:
            return
        envelope = {
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": f"{self.source_base}/api/v1/eventHooks/{hook.id}",
            "eventId": str(uuid.uuid4()),
            "data": {"events": events},
            "eventTime": iso(self.clock.now()),
            "contentType": "application/json",
        }
        for _attempt in range(2):
            try:
                request = client.post(hook.uri).headers(_headers(hook)).body_bytes(orjson.dumps(envelope))
                response = await request.build().send()
                status = response.status
                await response.bytes()
            except PyreqwestError:
                continue
            if status < 500:
                if status < 300:
                    self.delivered += 1
                else:
                    self.failed += 1
                return
        self.failed += 1
