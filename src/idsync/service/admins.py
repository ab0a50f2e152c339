"""Local admin accounts of the web UI: add, list, remove, authenticate, and throttle failed logins.

Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher`, its RFC 9106 low-memory profile);
a login for a name that does not exist still verifies against a dummy hash, so the answer takes as
long whether or not the name exists. A hash made with older parameters is replaced at the next
successful login.

`LoginThrottle` refuses further attempts after repeated failures, counted separately per admin name
and per client address within a sliding window (`MAX_FAILURES_PER_NAME`, `MAX_FAILURES_PER_ADDRESS`,
`FAILURE_WINDOW`). It lives in the server's memory: each replica counts its own attempts, and a
restart forgets them.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idsync.domain.errors import ConfigError
from idsync.service.errors import Conflict, NotFound, UnknownName
from idsync.store import Store
from idsync.store import admins as rows
from idsync.store.admins import AdminAccount, AdminExists
from idsync.store.sealing import KEYS_ENV, Sealer

MIN_PASSWORD_LENGTH = 12
MAX_FAILURES_PER_NAME = 5
"""Failed logins for one admin name within FAILURE_WINDOW before that name is refused."""
MAX_FAILURES_PER_ADDRESS = 20
"""Failed logins from one client address within FAILURE_WINDOW before that address is refused."""
FAILURE_WINDOW = 15 * 60.0
"""Seconds a failed login counts against a name and an address."""
SESSION_SECRET_ENV = "IDSYNC_SESSION_SECRET"
"""When set (at least 32 characters), signs the UI's session cookies instead of the stored key."""
_SESSION_KEY_NAME = "ui_session"
log = structlog.get_logger(__name__)

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("idsync: no such admin")


def _check_name(name: str) -> str:
    if not name or len(name) > 64 or not name.isprintable() or any(c.isspace() for c in name):
        raise UnknownName(
            "name", name, (),
            message=f"name: {name!r} is not an admin name; use 1 to 64 printable characters without "
            "spaces, e.g. alice or ops-admin",
        )  # fmt: skip
    return name


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UnknownName(
            "password", None, (),
            message=f"password: {len(password)} characters is too short; use at least "
            f"{MIN_PASSWORD_LENGTH}",
        )  # fmt: skip
    return password


def add_admin(store: Store, name: str, password: str) -> AdminAccount:
    """Create admin `name` with `password` (Conflict when the name is taken)."""
    digest = _HASHER.hash(_check_password(password))
    try:
        rows.add(store.engine, _check_name(name), digest)
    except AdminExists:
        raise Conflict("name", f"name: an admin named {name!r} exists already; remove it first") from None
    return next(a for a in rows.list_admins(store.engine) if a.name == name)


def list_admins(store: Store) -> tuple[AdminAccount, ...]:
    """Every admin by name (never a hash)."""
    return tuple(rows.list_admins(store.engine))


def remove_admin(store: Store, name: str) -> None:
    """Remove admin `name`; their sessions end at their next request. NotFound lists the admins."""
    if not rows.remove(store.engine, name):
        names = ", ".join(a.name for a in rows.list_admins(store.engine)) or "(none)"
        raise NotFound("name", f"name: no admin named {name!r}; admins: {names}")


def authenticate(store: Store, name: str, password: str) -> bool:
    """Whether `password` is admin `name`'s (a blocking call: argon2 takes tens of milliseconds)."""
    stored = rows.password_hash(store.engine, name)
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _HASHER.check_needs_rehash(stored):
        rows.set_hash(store.engine, name, _HASHER.hash(password))
    rows.touch_login(store.engine, name)
    return True


def session_secret(store: Store) -> str:
    """The key that signs session cookies: $IDSYNC_SESSION_SECRET; else one generated once and kept in
    the store, sealed with $IDSYNC_STORE_KEYS (so every replica on one database accepts the same
    sessions); with neither set, one kept in this process's memory only (sessions end with it and are
    not shared between replicas), because no credential is stored in the clear."""
    configured = os.environ.get(SESSION_SECRET_ENV)
    if configured:
        if len(configured) < 32:
            raise UnknownName(
                SESSION_SECRET_ENV, None, (),
                message=f"{SESSION_SECRET_ENV}: {len(configured)} characters is too short for a signing "
                "key; use at least 32 random characters (e.g. `openssl rand -hex 32`) or unset it",
            )  # fmt: skip
        return configured
    sealer = Sealer.from_env()
    if sealer is None:
        global _process_session_key
        if _process_session_key is None:
            _process_session_key = secrets.token_urlsafe(48)
            log.warning("session_key_in_memory", detail=f"neither {SESSION_SECRET_ENV} nor {KEYS_ENV} is "
                        "set: the admin UI's sessions end when idsync serve stops and are not shared by "
                        "replicas")
        return _process_session_key
    return rows.server_key(store.engine, _SESSION_KEY_NAME, secrets.token_urlsafe(48), sealer)


_process_session_key: str | None = None


def rotate_store_keys(store: Store) -> list[str]:
    """`idsync keys rotate`: every sealed value in the store sealed again under the first key of
    $IDSYNC_STORE_KEYS (the others still open the old ones); returns what was re-sealed."""
    sealer = Sealer.from_env()
    if sealer is None:
        raise ConfigError(f"{KEYS_ENV} is not set: give the new key first and the old ones after it, "
                          "separated by commas (a new key: idsync keys generate)")
    return rows.reseal_server_keys(store.engine, sealer)


@dataclass(frozen=True, slots=True)
class Throttled:
    """Why a login attempt is refused before its password is even checked."""

    retry_after: int
    """Seconds until the next attempt is allowed."""
    by: str
    """"name" or "address"."""

    def message(self) -> str:
        """What the login page says."""
        minutes = max(1, round(self.retry_after / 60))
        what = "this admin name" if self.by == "name" else "your address"
        return f"Too many failed logins for {what}; try again in about {minutes} minute(s)."


class LoginThrottle:
    """Counts failed logins per admin name and per client address over a sliding window."""

    def __init__(
        self,
        *,
        per_name: int = MAX_FAILURES_PER_NAME,
        per_address: int = MAX_FAILURES_PER_ADDRESS,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and found[0] <= now - self.window:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def check(self, name: str, address: str) -> Throttled | None:
        """None when an attempt for `name` from `address` may go ahead, else why not and how long."""
        now = self._clock()
        with self._lock:
            for by, key, limit in (
                ("name", ("name", name.casefold()), self.per_name),
                ("address", ("address", address), self.per_address),
            ):
                recent = self._recent(key, now)
                if len(recent) >= limit:
                    wait = recent[len(recent) - limit] + self.window - now
                    return Throttled(max(1, int(wait) + 1), by)
        return None

    def failed(self, name: str, address: str) -> None:
        """Count one failed attempt against `name` and `address`."""
        now = self._clock()
        with self._lock:
            for key in (("name", name.casefold()), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        """A successful login clears the name's failures (not the address's)."""
        with self._lock:
            self._failures.pop(("name", name.casefold()), None)
