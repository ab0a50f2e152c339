"""One place for HTTP: timeouts, bounded concurrency, retries, rate limits and status → error mapping.

Every connector (Okta, Jira, SCIM targets...) talks through `HttpClient`. Status codes become the
error types of `idsync.domain.errors` here and nowhere else:

    429, 500, 502, 503, 504, timeouts, dropped connections → TransientError
    401, 403                                          → StopSyncError
    404                                               → NotFoundError
    409                                               → ConflictError
    other 4xx                                         → BadRequestError

A connector supplies `describe`, which turns a vendor error body into a one-line message (Okta's
errorSummary, Jira's errorMessages), so messages stay vendor-accurate while mapping stays here.

Which transient errors are retried: 429 and 503 always (the server says it did not do the work, and
Retry-After / X-Rate-Limit-Reset say when to come back), connection failures before a request was
sent always, and 500/502/504/timeouts only for idempotent methods: a POST that may have been carried
out is not repeated blindly, its item fails and the next run converges.
Secrets travel only in headers, which are never logged or put in error messages.

The wire: pyreqwest (Rust's reqwest and hyper under a Python API), the one HTTP stack of idsync;
tests talk to real local servers, never to a mock transport. Callers get a `Response` (status,
case-insensitive headers, content, `.json()`, `.text`), a small record built once per answer
(building an `httpx.Response` for every request once cost 66 µs of client CPU).

Why pyreqwest, measured on this 2-core machine against `idsync sandbox jira --latency-ms 10` in its
own process, 48 in flight. A raw loop of 10,000 PUTs with a JSON body, client CPU per request
(getrusage of the client process, all its threads), two rounds each:

    client                          asyncio loop        uvloop
    httpx (own transport, earlier)  2.8–3.5 ms          —
    aiohttp 3.14                    0.117–0.145 ms      0.131 ms
    aiohttp, no cookie jar          0.124–0.145 ms      0.106–0.116 ms
    pyreqwest 0.15                  0.101–0.109 ms      0.070–0.074 ms
    rnet 2.4 (Rust)                 0.114–0.177 ms      0.084–0.122 ms
    aiosonic 1.3                    0.124–0.148 ms      0.104–0.109 ms

and through the engine (bench/apply_jira.py --users 5000 --concurrency 48: 15,020 items, apply_plan
with the Jira target and this module), the same moment, machine load 5–7:

    aiohttp     0.15–0.19 ms of client CPU per item, 1,150–1,500 items/s
    pyreqwest   0.10–0.13 ms of client CPU per item, 2,450–2,470 items/s

What this module must know of a failure is whether the request left at all (one that never left may
be sent again; one that may have been carried out must not be repeated blindly). pyreqwest's exception
classes do not say it; the causes it reports do (`_never_sent`), and tests/test_http.py pins that on
the real wire for every failure in its table. Certificates are checked against the system's trust
store (rustls with the platform verifier), as with OpenSSL before.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson
from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import PyreqwestError, RequestTimeoutError
from tenacity import AsyncRetrying, RetryCallState

from idsync.domain.errors import (
    BadRequestError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    StopSyncError,
    TransientError,
)
from idsync.metrics import observe_response


class _UrlLike(Protocol):
    @property
    def path(self) -> str: ...


class _RequestLike(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> _UrlLike: ...


class WireResponse(Protocol):
    """What error parsers and connectors read of a response (`Response` below; a Protocol so the
    parsers state exactly what they read)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def request(self) -> _RequestLike: ...
    def json(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Url:
    path: str


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    url: _Url


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP answer as the connectors see it."""

    status_code: int
    headers: Mapping[str, str]
    """Case-insensitive, every value of a repeated header kept (pyreqwest's HeaderMap)."""
    content: bytes
    method: str
    url: str

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    @property
    def reason_phrase(self) -> str:
        """The standard phrase of the status ("Not Found"), "" for an unknown status."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def request(self) -> _Request:
        """Method and path of the request, for error messages."""
        return _Request(self.method, _Url(urlsplit(self.url).path))

    def json(self) -> Any:
        """The body parsed as JSON (orjson.JSONDecodeError, a ValueError, when it is not)."""
        return orjson.loads(self.content)


Describe = Callable[[WireResponse], str]
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_JSON_BODY = {"Content-Type": "application/json"}
"""The header of a request with a JSON body (one shared mapping, copied into each request)."""
_accepted_sets: dict[tuple[int, ...], frozenset[int]] = {}
"""`ok` tuples as frozensets, built once each: connectors pass a handful of constant tuples."""

retry_counter: ContextVar[list[int] | None] = ContextVar("idsync_retry_counter", default=None)
"""Set by the apply engine around one plan item (a fresh `[0]`): every retry of a request made in
that context adds 1, so the item's attempts can be recorded without sharing state between items."""


def describe_plain(response: WireResponse) -> str:
    """Fallback error text: the start of the body."""
    text = response.text.strip().replace("\n", " ")
    return text[:300] if text else response.reason_phrase


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. `max_wait` caps any single wait, including a server-requested one."""

    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0
    max_wait: float = 120.0
    rate_limit_budget: float = 600.0
    """429s are waited out, as the server asks, for up to this long per request whatever `attempts`
    says: being rate limited is the server pacing us, not a failure."""


def retry_after_seconds(
    response: WireResponse, now: float | None = None, *, rate_limit_reset: bool = True
) -> float | None:
    """The wait a server asked for: `Retry-After` (seconds or HTTP date) or Okta's
    `X-Rate-Limit-Reset` (epoch seconds when the bucket refills). Okta sends the rate-limit headers on
    every response, so `rate_limit_reset=False` ignores them where they are no request to wait (a 500)."""
    return wait_asked(response.headers, now, rate_limit_reset=rate_limit_reset)


def wait_asked(
    headers: Mapping[str, str], now: float | None = None, *, rate_limit_reset: bool = True
) -> float | None:
    """`retry_after_seconds` from the headers alone (what idsync.metrics has of a 429)."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    reset = headers.get("x-rate-limit-reset") if rate_limit_reset else None
    if reset:
        try:
            return max(0.0, float(reset) - now) + 0.05
        except ValueError:
            return None
    return None


def error_for(response: WireResponse, describe: Describe) -> ConnectorError:
    """Map a non-success response to an idsync error (the single status → error table)."""
    status = response.status_code
    message = f"{response.request.method} {response.request.url.path} → {status}: {describe(response)}"
    if status == 429 or status in (500, 502, 503, 504):
        wait = retry_after_seconds(response, rate_limit_reset=status == 429)
        return TransientError(message, status=status, retry_after=wait)
    if status in (401, 403):
        return StopSyncError(message, status=status)
    if status == 404:
        return NotFoundError(message, status=status)
    if status == 409:
        return ConflictError(message, status=status)
    return BadRequestError(message, status=status)


class HttpClient:
    """An async HTTP client for one connection, with the house rules applied to every request."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        describe: Describe = describe_plain,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._timeout = timeout
        self._max_concurrency = max_concurrency
        self._client: Client | None = None
        """Created on first use, inside the running event loop."""
        self._describe = describe
        self._slots = asyncio.Semaphore(max_concurrency)
        self._retry = retry or RetryPolicy()
        self.requests: Counter[str] = Counter()
        """Requests sent, by "METHOD label" (label: the caller's endpoint name, else the path)."""
        self.retries = 0
        self.rate_limited = 0

    @property
    def base_url(self) -> str:
        """The base URL requests are relative to."""
        return self._base_url

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        ok: Iterable[int] = (200, 201, 204),
        label: str | None = None,
    ) -> Response:
        """Send one request, retrying transient failures. Returns the response when its status is in
        `ok`; otherwise raises the mapped ConnectorError. `url` may be absolute (Link headers)."""
        idempotent = method.upper() in _IDEMPOTENT
        if isinstance(ok, tuple):
            accepted = _accepted_sets.get(ok)
            if accepted is None:
                accepted = _accepted_sets[ok] = frozenset(ok)
        else:
            accepted = frozenset(ok)
        try:
            return await self._request(method, url, params, json, accepted, label, idempotent)
        except TransientError as error:
            if not (idempotent or error.unsent or error.status in (429, 503)):
                error.outcome_unknown = True
            raise

    async def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        accepted: frozenset[int],
        label: str | None,
        idempotent: bool,
    ) -> Response:
        policy = self._retry
        # The first attempt runs without tenacity: almost every request succeeds at once, and the
        # retry machinery's per-call set-up was a measurable share of a large apply's CPU.
        # Failures other than 429 so far: a 429 is waited out within the time budget and does not use
        # up the retries of the transient failures (5xx, drops) a request may also meet.
        failures = [0]
        try:
            return await self._send_once(method, url, params, json, accepted, label)
        except TransientError as first:
            if not (idempotent or first.status in (429, 503) or first.unsent):
                raise
            if first.status != 429:
                failures[0] += 1
                if policy.attempts <= 1:
                    raise
            await asyncio.sleep(self._backoff(first, 1))

        def should_retry(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if not isinstance(error, TransientError):
                return False
            return idempotent or error.status in (429, 503) or error.unsent

        def should_stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, TransientError) and error.status == 429:
                return (state.seconds_since_start or 0.0) >= policy.rate_limit_budget
            failures[0] += 1
            return failures[0] >= policy.attempts

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self._backoff(error, state.attempt_number + 1)

        async for attempt in AsyncRetrying(stop=should_stop, retry=should_retry, wait=wait, reraise=True):
            with attempt:
                self.retries += 1
                counter = retry_counter.get()
                if counter is not None:
                    counter[0] += 1
                return await self._send_once(method, url, params, json, accepted, label)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        accepted: frozenset[int],
        label: str | None,
    ) -> Response:
        self.requests[f"{method} {label or _path(url)}"] += 1
        full = url if url.startswith(("http://", "https://")) else self._base_url + url
        async with self._slots:
            try:
                response = await self._send(method, full, params, json)
            except RequestTimeoutError as exc:
                error = TransientError(f"{method} {_path(full)}: timed out ({_causes(exc)})")
                error.unsent = _never_sent(exc)
                raise error from exc
            except PyreqwestError as exc:
                if _never_sent(exc):  # no connection could be made: nothing was sent
                    error = TransientError(f"{method} {_path(full)}: cannot connect ({_causes(exc)})")
                    error.unsent = True
                    raise error from exc
                # dropped or cut short after the request went out: the server may have acted
                raise TransientError(f"{method} {_path(full)}: connection failed ({_causes(exc)})") from exc
        # Observability (idsync.metrics): requests by connection / method / status, 429s and their
        # waits, the last rate-limit remaining. The one metrics call of this module.
        observe_response(self._base_url, method, response.status_code, response.headers, self._retry.max_wait)
        if response.status_code in accepted:
            return response
        if response.status_code == 429:
            self.rate_limited += 1
        raise error_for(response, self._describe)

    def _backoff(self, error: BaseException | None, failed_attempts: int) -> float:
        """How long to wait after `failed_attempts` failures: what the server asked for (capped), else
        exponential backoff with jitter."""
        if isinstance(error, ConnectorError) and error.retry_after is not None:
            return min(error.retry_after, self._retry.max_wait)
        backoff: float = self._retry.base_delay * 2.0 ** (failed_attempts - 1)
        return min(backoff, self._retry.max_delay) * (0.5 + random.random() / 2)

    async def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, json: Any
    ) -> Response:
        client = self._client or self._open_client()
        builder = client.request(method, url)
        if params is not None:
            builder = builder.query(_query(params))
        if json is not None:
            builder = builder.body_bytes(orjson.dumps(json)).headers(_JSON_BODY)
        wire = await builder.build().send()
        content = await wire.bytes()
        return Response(wire.status, wire.headers, content.to_bytes(), method, url)

    def _open_client(self) -> Client:
        self._client = (
            ClientBuilder()
            .default_headers(self._headers)
            .max_connections(self._max_concurrency)
            .timeout(timedelta(seconds=self._timeout))
            .build()
        )
        return self._client

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None


def _never_sent(error: PyreqwestError) -> bool:
    """Whether the request failed while its connection was being made, so no byte of it left.

    pyreqwest's exception classes do not say it (a `ConnectError` is raised for a refused connection
    and for one the server closed after reading the request; a `ConnectTimeoutError` for a server that
    accepted the request and never answered); the causes it passes on from hyper do: the connection
    stage fails with "client error (Connect)", sending or awaiting the answer with "client error
    (SendRequest)". Pinned by tests/test_http.py's table against a real server, for this version."""
    details = getattr(error, "details", None) or {}
    return any(cause.get("message") == "client error (Connect)" for cause in details.get("causes") or ())


@functools.lru_cache(maxsize=4096)
def _path(url: str) -> str:
    """The path of a URL, for request counters and error messages."""
    return urlsplit(url).path


def _causes(error: PyreqwestError) -> str:
    """The innermost causes of a pyreqwest error, readable ("Connection refused (os error 111)"); the
    request's URL, which the outer causes repeat, is already in the message."""
    details = getattr(error, "details", None) or {}
    messages = [str(c.get("message")) for c in details.get("causes") or () if c.get("message")]
    inner = [m for m in messages if not m.startswith(("error sending request", "client error ("))]
    return "; ".join(inner or messages) or f"{type(error).__name__}: {error}"


def _query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as the vendors' APIs take them: booleans as true/false, None left out, lists
    repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if item is None:
                continue
            pairs.append((key, "true" if item is True else "false" if item is False else str(item)))
    return pairs


def next_link(response: WireResponse) -> str | None:
    """The `rel="next"` URL of an RFC 8288 Link header (Okta paging), or None on the last page.
    Okta sends one Link header per relation, or one with several comma-separated links."""
    headers: Any = response.headers
    values: list[str] = headers.getall("link") if hasattr(headers, "getall") else [headers.get("link", "")]
    for value in values:
        for link in value.split(","):
            target, _, params = link.partition(";")
            if re.search(r'rel\s*=\s*"?next"?', params):
                return target.strip().strip("<>")
    return None
