"""Prometheus metrics of idsync, served at `/metrics` by `idsync serve`.

One registry (`REGISTRY`, not prometheus-client's global one, so importing idsync adds nothing to
another program's metrics) and every metric object live here; the rest of idsync reports through the
small functions below, so a metric's name and labels are decided in one place:

    idsync_runs_total{profile,trigger,outcome}          runs finished (outcome: the run's status, or
                                                        `in_progress` when the profile was already
                                                        running, `interrupted`, `error` when it raised)
    idsync_run_items_total{profile,action,outcome}      plan items of finished runs
    idsync_run_duration_seconds{profile,trigger}        histogram of run durations
    idsync_http_requests_total{connection,method,status} requests idsync sent, by answer
    idsync_http_rate_limited_total{connection}          429 answers
    idsync_http_rate_limit_wait_seconds_total{connection} seconds the 429s asked idsync to wait
    idsync_rate_limit_remaining{connection}             the last X-Rate-Limit-Remaining (Okta) or
                                                        X-RateLimit-Remaining (Atlassian) seen
    idsync_next_run_timestamp_seconds{profile}          when the scheduler runs the profile next
    idsync_credential_days_left{connection}             days until the connection's `expires_at`
    idsync_hook_deliveries_total{connection,status}     Okta Event Hook requests, by our answer
    idsync_hook_events_total{connection,result}         their events: queued, duplicate, coalesced,
                                                        ignored

Connections are known to the HTTP layer only by base URL; `watch_config` maps URLs to connection
names (longest prefix wins), so a label is the name an operator gave, never a host with a token.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from idsync import logs

if TYPE_CHECKING:
    from idsync.config.model import IdsyncConfig
    from idsync.engine.run import Engine, RunReport, RunRequest

REGISTRY = CollectorRegistry()

RUNS = Counter(
    "idsync_runs", "Runs finished, by profile, trigger and outcome.", ["profile", "trigger", "outcome"],
    registry=REGISTRY,
)  # fmt: skip
ITEMS = Counter(
    "idsync_run_items",
    "Plan items of finished runs, by action and outcome.",
    ["profile", "action", "outcome"],
    registry=REGISTRY,
)
RUN_SECONDS = Histogram(
    "idsync_run_duration_seconds",
    "How long runs took, start to finish.",
    ["profile", "trigger"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
    registry=REGISTRY,
)
REQUESTS = Counter(
    "idsync_http_requests", "HTTP requests idsync sent, by connection, method and status.",
    ["connection", "method", "status"], registry=REGISTRY,
)  # fmt: skip
RATE_LIMITED = Counter(
    "idsync_http_rate_limited", "429 Too Many Requests answers, by connection.", ["connection"],
    registry=REGISTRY,
)  # fmt: skip
RATE_LIMIT_WAIT = Counter(
    "idsync_http_rate_limit_wait_seconds",
    "Seconds 429 answers asked idsync to wait (Retry-After / X-Rate-Limit-Reset, capped as idsync caps it).",
    ["connection"],
    registry=REGISTRY,
)
RATE_LIMIT_REMAINING = Gauge(
    "idsync_rate_limit_remaining", "The last rate-limit remaining header a connection answered with.",
    ["connection"], registry=REGISTRY,
)  # fmt: skip
NEXT_RUN = Gauge(
    "idsync_next_run_timestamp_seconds", "When the scheduler runs a profile next (Unix time).", ["profile"],
    registry=REGISTRY,
)  # fmt: skip
HOOK_DELIVERIES = Counter(
    "idsync_hook_deliveries", "Okta Event Hook requests received, by connection and the status answered.",
    ["connection", "status"], registry=REGISTRY,
)  # fmt: skip
HOOK_EVENTS = Counter(
    "idsync_hook_events", "Events in Okta Event Hook deliveries, by what became of them.",
    ["connection", "result"], registry=REGISTRY,
)  # fmt: skip

_REMAINING_HEADERS = ("x-rate-limit-remaining", "x-ratelimit-remaining")


class _CredentialExpiry(Collector):
    """idsync_credential_days_left, computed at scrape time from the connections' `expires_at`."""

    def __init__(self) -> None:
        self.config: IdsyncConfig | None = None

    def collect(self) -> Iterator[Metric]:
        from idsync.config.expiry import expiries  # at scrape time: the config package stays out of imports

        family = GaugeMetricFamily(
            "idsync_credential_days_left",
            "Days until a connection's credential expires (its expires_at; negative once expired).",
            labels=["connection"],
        )
        # the days left as `idsync check` and every run's notes count them (idsync.config.expiry)
        for expiry in expiries(self.config) if self.config is not None else ():
            family.add_metric([expiry.connection], expiry.days_left)
        yield family


_EXPIRY = _CredentialExpiry()
REGISTRY.register(_EXPIRY)
_connections: list[tuple[str, str]] = []
_names: dict[str, str] = {}
_names_lock = threading.Lock()
_counted: dict[tuple[str, str, int], Any] = {}
"""(base URL, method, status) → its labelled child of REQUESTS. `labels()` hashes and checks the label
values on every call, a measurable share of the per-response cost of a large apply; the child is the
same object each time, so it is looked up once. Cleared with `_names` (a connection may be renamed)."""


def watch_config(config: IdsyncConfig) -> None:
    """Name the connections of `config` in metric labels and watch their credentials' expiry."""
    global _connections
    prefixes: list[tuple[str, str]] = []
    for name, connection in config.connections.items():
        url = getattr(connection, "url", None)
        if isinstance(url, str):
            prefixes.append((url.rstrip("/"), name))
    with _names_lock:
        _connections = sorted(prefixes, key=lambda pair: len(pair[0]), reverse=True)
        _names.clear()
        _counted.clear()
    _EXPIRY.config = config


def connection_name(base_url: str) -> str:
    """The configured connection a base URL belongs to, else its host (no path, query or user info)."""
    name = _names.get(base_url)
    if name is None:
        name = next(
            (n for prefix, n in _connections if base_url == prefix or base_url.startswith(prefix + "/")),
            None,
        ) or (urlsplit(base_url).hostname or "unknown")
        with _names_lock:
            _names[base_url] = name
    return name


def observe_response(
    base_url: str, method: str, status: int, headers: Mapping[str, str], max_wait: float
) -> None:
    """Count one HTTP answer (called by `idsync.http` once per response)."""
    key = (base_url, method, status)
    child = _counted.get(key)
    if child is None:
        child = _counted[key] = REQUESTS.labels(connection_name(base_url), method, str(status))
    child.inc()
    for header in _REMAINING_HEADERS:
        value = headers.get(header)
        if value is not None:
            with contextlib.suppress(ValueError):
                RATE_LIMIT_REMAINING.labels(connection_name(base_url)).set(float(value))
            break
    if status == 429:
        from idsync.http import wait_asked  # here: idsync.http imports this module

        connection = connection_name(base_url)
        RATE_LIMITED.labels(connection).inc()
        wait = wait_asked(headers)
        if wait is not None:
            RATE_LIMIT_WAIT.labels(connection).inc(min(wait, max_wait))


def set_next_run(profile: str, at: datetime | None) -> None:
    """The scheduler's next run of a profile (None: not scheduled)."""
    if at is None:
        with contextlib.suppress(KeyError):
            NEXT_RUN.remove(profile)
        return
    NEXT_RUN.labels(profile).set(at.timestamp())


def record_hook_delivery(connection: str, status: int) -> None:
    """One Event Hook request answered."""
    HOOK_DELIVERIES.labels(connection, str(status)).inc()


def record_hook_events(connection: str, results: Iterable[str]) -> None:
    """What became of each event of a delivery."""
    for result in results:
        HOOK_EVENTS.labels(connection, result).inc()


def _profile_of(engine: Engine, request: RunRequest, report: RunReport | None) -> str:
    if report is not None and report.plan is not None:
        return report.plan.profile
    try:
        return engine.profile(request.profile)[0]
    except Exception:
        return request.profile or ""


def record_run(engine: Engine, request: RunRequest, report: RunReport, seconds: float) -> None:
    """Count a finished run and its items, and log it (one event per run and per failed item)."""
    record_finished(_profile_of(engine, request, report), request, report, seconds)


def record_finished(
    profile: str, request: RunRequest, report: RunReport, seconds: float, *, log: bool = True
) -> None:
    """`record_run` by profile name; `log=False` for a run another process made and logged already
    (its report came back here to be counted)."""
    RUNS.labels(profile, request.trigger, report.status.value).inc()
    RUN_SECONDS.labels(profile, request.trigger).observe(seconds)
    items = report.plan.items if report.plan is not None else ()
    # tallied first, one counter step per action and outcome: a label lookup and step per item took
    # 0.48 s for a 211,775-item initial sync, and `idsync serve` counts here on its event loop
    tally = collections.Counter((items[result.index].action, result.outcome) for result in report.results)
    for (action, outcome), count in tally.items():
        ITEMS.labels(profile, action.value, outcome.value).inc(count)
    if log:
        logs.run_finished(profile, request, report, seconds)


def record_run_error(engine: Engine, request: RunRequest, error: BaseException, seconds: float) -> None:
    """Count a run that raised instead of finishing (the profile was running, a bad name, a crash)."""
    from idsync.domain.errors import RunInProgress

    profile = _profile_of(engine, request, None)
    if isinstance(error, RunInProgress):
        outcome = "in_progress"
    elif isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        outcome = "interrupted"
    else:
        outcome = "error"
    RUNS.labels(profile, request.trigger, outcome).inc()
    logs.run_not_finished(profile, request, error, seconds)


P = ParamSpec("P")
E = TypeVar("E", bound="Engine")


def observed_run(
    method: Callable[Concatenate[E, RunRequest, P], Coroutine[Any, Any, RunReport]],
) -> Callable[Concatenate[E, RunRequest, P], Coroutine[Any, Any, RunReport]]:
    """Decorates `Engine.run`: every run, whatever its trigger, is counted, timed and logged once."""

    @functools.wraps(method)
    async def run(engine: E, request: RunRequest, /, *args: P.args, **kwargs: P.kwargs) -> RunReport:
        started = time.perf_counter()
        try:
            report = await method(engine, request, *args, **kwargs)
        except BaseException as exc:
            record_run_error(engine, request, exc, time.perf_counter() - started)
            raise
        record_run(engine, request, report, time.perf_counter() - started)
        return report

    return run


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, and its content type (for `/metrics`)."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def sample(name: str, labels: Mapping[str, str] | None = None) -> float | None:
    """The current value of one sample (tests, `idsync check`); None when it was never set."""
    value: Any = REGISTRY.get_sample_value(name, dict(labels or {}))
    return None if value is None else float(value)
