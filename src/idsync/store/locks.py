"""One run per profile at a time, across processes and across `idsync serve` replicas.

PostgreSQL: `pg_try_advisory_lock` on a dedicated connection held for the whole run; the server frees
it when we unlock, close, or die (the connection drops). A row in `profile_locks` only tells a refused
caller who holds the lock and since when.

SQLite: the row in `profile_locks` *is* the lock, written in a BEGIN IMMEDIATE transaction so two
processes cannot both see "free". A holder refreshes its heartbeat from a background thread. A row is
stale, and taken over, when its process is gone from this host or its heartbeat is older than
`stale_after` (a holder on another host, or a hung one).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from idsync.domain.errors import RunInProgress
from idsync.store.db import advisory_key, read_transaction, write_transaction
from idsync.store.models import LockRow

log = logging.getLogger(__name__)
_LOCKS = cast(Table, LockRow.__table__)

DEFAULT_STALE_AFTER = timedelta(minutes=10)
"""A SQLite lock whose heartbeat is older than this is taken over (the holder beats 4× as often)."""


@contextmanager
def profile_lock(
    engine: Engine, profile: str, holder: str, *, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> Iterator[None]:
    """Hold the profile's run lock for the `with` body; raises RunInProgress naming the holder."""
    if stale_after <= timedelta(0):
        raise ValueError(f"stale_after must be positive, got {stale_after}")
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, profile, holder):
            yield
    else:
        with _sqlite_lock(engine, profile, holder, stale_after):
            yield


def _me(profile: str, holder: str, now: datetime) -> LockRow:
    """The lock row this process writes."""
    return LockRow(
        profile=profile, holder=holder, host=socket.gethostname(), pid=os.getpid(), acquired_at=now,
        heartbeat_at=now,
    )  # fmt: skip


def _refusal(profile: str, row: LockRow | None, extra: str = "") -> RunInProgress:
    """The error for a second run of a profile: who holds it and since when."""
    if row is None:
        who = "another process (it has not recorded its name yet)"
    else:
        who = f"{row.holder} (pid {row.pid} on {row.host}) since {row.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
    return RunInProgress(
        f"profile {profile!r} is already running: held by {who}. This run was not started; "
        f"try again when that run has finished.{extra}"
    )


def _row_values(row: LockRow) -> dict[str, object]:
    """Column values of a lock row, for inserts."""
    return {
        "profile": row.profile, "holder": row.holder, "host": row.host, "pid": row.pid,
        "acquired_at": row.acquired_at, "heartbeat_at": row.heartbeat_at,
    }  # fmt: skip


def _read_row(connection: Connection, profile: str) -> LockRow | None:
    """The current lock row of a profile, detached from any session."""
    found = connection.execute(select(_LOCKS).where(LockRow.profile == profile)).mappings().first()
    return None if found is None else LockRow(**found)


def _owned(row: LockRow) -> list[ColumnElement[bool]]:
    """WHERE clauses that match the row only while it is still ours."""
    return [
        LockRow.profile == row.profile,
        LockRow.host == row.host,
        LockRow.pid == row.pid,
        LockRow.acquired_at == row.acquired_at,
    ]


# --- PostgreSQL -----------------------------------------------------------------------------------


@contextmanager
def _postgres_lock(engine: Engine, profile: str, holder: str) -> Iterator[None]:
    """Advisory lock on a dedicated autocommit connection (no transaction stays open for the run)."""
    key = advisory_key("profile", profile)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        acquired = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one()
        if not acquired:
            with read_transaction(engine) as reader:
                raise _refusal(profile, _read_row(reader, profile))
        mine = _me(profile, holder, datetime.now(UTC))
        values = _row_values(mine)
        with write_transaction(engine) as writer:
            statement = pg_insert(_LOCKS).values(values)
            writer.execute(
                statement.on_conflict_do_update(
                    index_elements=["profile"], set_={k: v for k, v in values.items() if k != "profile"}
                )
            )
        try:
            yield
        finally:
            with write_transaction(engine) as writer:
                writer.execute(delete(LockRow).where(*_owned(mine)))
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except DBAPIError:
        # The lock connection broke: the server has already dropped the advisory lock with it.
        connection.invalidate()
        raise
    finally:
        connection.close()


# --- SQLite -----------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale_reason(row: LockRow, now: datetime, stale_after: timedelta) -> str | None:
    """Why an existing lock row may be taken over, or None when its holder looks alive."""
    if row.host == socket.gethostname() and not _pid_alive(row.pid):
        return f"its process {row.pid} no longer exists on {row.host}"
    age = now - row.heartbeat_at
    if age > stale_after:
        limit = stale_after.total_seconds()
        return f"its last heartbeat was {age.total_seconds():.0f} s ago (limit {limit:.0f} s)"
    return None


@contextmanager
def _sqlite_lock(engine: Engine, profile: str, holder: str, stale_after: timedelta) -> Iterator[None]:
    """The lock row, with a heartbeat thread and stale-lock recovery."""
    now = datetime.now(UTC)
    mine = _me(profile, holder, now)
    with write_transaction(engine) as connection:
        existing = _read_row(connection, profile)
        if existing is not None:
            reason = _stale_reason(existing, now, stale_after)
            if reason is None:
                raise _refusal(
                    profile,
                    existing,
                    f" (A lock is taken over once its process is gone from its host or its heartbeat is "
                    f"older than {stale_after.total_seconds():.0f} s.)",
                )
            log.warning(
                "taking over the lock of profile %r from %s (pid %s on %s): %s",
                profile, existing.holder, existing.pid, existing.host, reason,
            )  # fmt: skip
            connection.execute(delete(LockRow).where(LockRow.profile == profile))
        connection.execute(_LOCKS.insert().values(_row_values(mine)))
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(engine, mine, stop, stale_after / 4), name=f"lock-{profile}", daemon=True
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        with write_transaction(engine) as connection:
            connection.execute(delete(LockRow).where(*_owned(mine)))


def _heartbeat(engine: Engine, mine: LockRow, stop: threading.Event, every: timedelta) -> None:
    """Refresh the heartbeat until told to stop; a lost row is logged (someone judged us stale)."""
    while not stop.wait(every.total_seconds()):
        try:
            with write_transaction(engine) as connection:
                changed = connection.execute(
                    update(LockRow).where(*_owned(mine)).values(heartbeat_at=datetime.now(UTC))
                ).rowcount
        except DBAPIError as exc:
            log.warning("could not refresh the lock heartbeat of profile %r: %s", mine.profile, exc.orig)
            continue
        if changed == 0:
            log.error("the lock of profile %r was taken over by another process", mine.profile)
            return
