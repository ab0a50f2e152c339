"""What every page of the UI shares: the service context, the templates, the login throttle, the
jobs running in the background and the cached connection checks. One `UiState` per server, kept on
the UI app (`request.app.state.ui`)."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from idsync.service.admins import LoginThrottle
from idsync.service.context import Context
from idsync.service.results import ConnectionCheck
from idsync.store import admins as admin_rows

T = TypeVar("T")

SESSION_STAMPS_SECONDS = 2.0
"""How long the list of admins (and their password dates) is reused: removing an admin or changing
their password ends their sessions within this time, and a page view costs no extra database read."""


@dataclass(frozen=True, slots=True)
class CheckedConnection:
    """The last `Test connection` of one connection and when it ran."""

    check: ConnectionCheck
    at: datetime


class HealthCache:
    """The last check of each connection, in memory: the overview shows it instead of calling every
    connection on every page view."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, CheckedConnection] = {}

    def record(self, check: ConnectionCheck) -> CheckedConnection:
        """Remember a check's outcome now."""
        entry = CheckedConnection(check, datetime.now(UTC))
        with self._lock:
            self._last[check.name] = entry
        return entry

    def get(self, name: str) -> CheckedConnection | None:
        """The last check of `name`, None when it was not checked since the server started."""
        with self._lock:
            return self._last.get(name)


class SessionStamps:
    """Which admins exist and when each last changed their password, reused for a couple of seconds."""

    def __init__(self, ctx: Context, *, cache_seconds: float = SESSION_STAMPS_SECONDS) -> None:
        self._ctx = ctx
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._stamps: dict[str, datetime] = {}
        self._loaded_at = float("-inf")

    def valid(self, name: str, since: float) -> bool:
        """Whether a session of admin `name` begun at `since` (epoch seconds) is still good (blocking)."""
        with self._lock:
            if time.monotonic() - self._loaded_at > self._cache_seconds:
                self._stamps = admin_rows.session_stamps(self._ctx.store.engine)
                self._loaded_at = time.monotonic()
            changed = self._stamps.get(name)
        return changed is not None and changed.timestamp() <= since + 1.0

    def forget(self) -> None:
        """Reload at the next look (after a login, so a just-added admin is seen at once)."""
        with self._lock:
            self._loaded_at = float("-inf")


class Recent:
    """The last few values computed for a key (thread-safe), e.g. a stored plan's sections: a stored
    plan never changes, and regrouping 20,000 items on every view costs more in garbage collection
    than in work."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[str, Any] = OrderedDict()

    def get_or_make(self, key: str, make: Callable[[], T]) -> T:
        """The value kept for `key`, made with `make()` (outside the lock) when there is none."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                found: T = self._values[key]
                return found
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


@dataclass
class UiState:
    """The UI's shared parts."""

    ctx: Context
    templates: Jinja2Templates
    config_path: Path | None = None
    """The config file the server loaded (None when built from a parsed config, as in some tests)."""
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    health: HealthCache = field(default_factory=HealthCache)
    jobs: Any = None
    """The background jobs (`idsync.server.ui.jobs.Jobs`), set by `create_ui`."""
    stamps: SessionStamps | None = None
    plan_views: Recent = field(default_factory=Recent)
    """The grouped sections of recently viewed stored plans, by plan id."""


def ui_state(request: Request) -> UiState:
    """The UiState of the app serving `request`."""
    state: UiState = request.app.state.ui
    return state


async def blocking(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call that blocks on the store (or on argon2) in a worker thread."""
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))
