"""One run per profile with real second processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from idsync.domain.errors import RunInProgress
from idsync.store import Store
from idsync.store.models import LockRow

HOLDER_SCRIPT = Path(__file__).with_name("lock_holder.py")
ROOT = Path(__file__).resolve().parents[2]


def spawn(url: str, profile: str, holder: str) -> subprocess.Popen[str]:
    """Start a second process that tries the lock (see lock_holder.py)."""
    return subprocess.Popen(
        [sys.executable, str(HOLDER_SCRIPT), url, profile, holder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def first_line(child: subprocess.Popen[str]) -> str:
    """What the process said first: `locked` or `refused: ...` (empty if it died)."""
    assert child.stdout is not None
    return child.stdout.readline().strip()


def reap(child: subprocess.Popen[str]) -> None:
    """Make sure the process is gone and its pipes closed."""
    if child.poll() is None:
        child.kill()
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


@contextmanager
def other_process(url: str, profile: str, holder: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A second process trying the lock; yields it and its first line."""
    child = spawn(url, profile, holder)
    try:
        yield child, first_line(child)
    finally:
        reap(child)


def let_go(child: subprocess.Popen[str]) -> list[str]:
    """Tell the holder to release; returns the rest of its output once it has exited."""
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write("\n")
    child.stdin.flush()
    rest = child.stdout.read().split()
    assert child.wait() == 0
    return rest


def acquire_eventually(store: Store, profile: str, holder: str) -> None:
    """Take and release the lock, waiting (bounded) while a dead holder's session is cleaned up."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with store.profile_lock(profile, holder):
                return
        except RunInProgress:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_second_process_is_refused_naming_the_holder(store_url: str) -> None:
    holder = "scheduler on replica-1"
    with Store.open(store_url) as store, other_process(store_url, "staff", holder) as (child, line):
        assert line == "locked"
        with pytest.raises(RunInProgress) as refused, store.profile_lock("staff", "cli"):
            pass
        message = str(refused.value)
        assert "'staff' is already running" in message
        assert f"scheduler on replica-1 (pid {child.pid} on " in message
        assert f"since {datetime.now(UTC):%Y-%m-%d}" in message
        assert let_go(child) == ["released"]
        with store.profile_lock("staff", "cli"):
            pass


def test_another_process_is_refused_while_we_hold_it(store_url: str) -> None:
    with (
        Store.open(store_url) as store,
        store.profile_lock("staff", "cli sync"),
        other_process(store_url, "staff", "second") as (child, line),
    ):
        assert line.startswith("refused: profile 'staff' is already running: held by cli sync (pid ")
        assert f"(pid {os.getpid()} on " in line
        assert child.wait() == 0


def test_the_lock_of_a_killed_process_is_freed(store_url: str) -> None:
    with Store.open(store_url) as store:
        with other_process(store_url, "staff", "doomed") as (child, line):
            assert line == "locked"
            child.send_signal(signal.SIGKILL)
            assert child.wait() == -signal.SIGKILL
        acquire_eventually(store, "staff", "survivor")
        with store.profile_lock("staff", "survivor"), store.engine.connect() as connection:
            row = connection.execute(select(LockRow.holder, LockRow.pid)).one()
            assert tuple(row) == ("survivor", os.getpid())


def test_two_processes_opening_a_fresh_store_at_once(store_url: str) -> None:
    # Both start before either has read a line: they migrate the empty database at the same time,
    # then race for the lock. Exactly one wins.
    children = [spawn(store_url, "staff", "first"), spawn(store_url, "staff", "second")]
    try:
        lines = [first_line(child) for child in children]
        assert sorted(lines)[0] == "locked"
        assert sorted(lines)[1].startswith("refused: profile 'staff' is already running: held by ")
        assert let_go(children[lines.index("locked")]) == ["released"]
    finally:
        for child in children:
            reap(child)
    with Store.open(store_url) as store:
        assert store.runs() == []


def test_release_on_exit_and_on_error(store_url: str) -> None:
    with Store.open(store_url) as first, Store.open(store_url) as second:
        with (
            first.profile_lock("staff", "first"),
            pytest.raises(RunInProgress, match="held by first"),
            second.profile_lock("staff", "second"),
        ):
            pass
        with second.profile_lock("staff", "second"):
            pass
        with pytest.raises(RuntimeError, match="boom"), first.profile_lock("staff", "first"):
            raise RuntimeError("boom")
        with second.profile_lock("staff", "second"), second.engine.connect() as connection:
            assert connection.execute(select(LockRow.holder)).scalars().all() == ["second"]
        with first.engine.connect() as connection:
            assert connection.execute(select(LockRow.holder)).scalars().all() == []


def test_profiles_lock_independently(store: Store) -> None:
    with (
        store.profile_lock("staff", "a"),
        store.profile_lock("contractors", "b"),
        pytest.raises(RunInProgress),
        store.profile_lock("staff", "c"),
    ):
        pass


@pytest.mark.postgres
def test_postgres_releases_the_advisory_lock(postgres_url: str) -> None:
    with Store.open(postgres_url) as store:
        count = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        with store.profile_lock("staff", "cli"), store.engine.connect() as connection:
            assert connection.execute(count).scalar_one() == 1
        with store.engine.connect() as connection:
            assert connection.execute(count).scalar_one() == 0


# --- SQLite: stale-lock recovery ----------------------------------------------------------------------


def _plant_lock(store: Store, *, host: str, pid: int, heartbeat_age: timedelta) -> None:
    """A lock row as another process (maybe on another host) would have left it."""
    beat = datetime.now(UTC) - heartbeat_age
    with store.engine.begin() as connection:
        connection.execute(
            insert(LockRow).values(
                profile="staff", holder="old run", host=host, pid=pid, acquired_at=beat, heartbeat_at=beat
            )
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A temp-file SQLite store URL."""
    return f"sqlite:///{tmp_path / 'idsync.db'}"


def test_sqlite_takes_over_a_lock_whose_heartbeat_is_too_old(sqlite_url: str) -> None:
    with Store.open(sqlite_url, stale_lock_after=timedelta(minutes=5)) as store:
        _plant_lock(store, host="replica-elsewhere", pid=1, heartbeat_age=timedelta(minutes=6))
        with store.profile_lock("staff", "new run"), store.engine.connect() as connection:
            assert connection.execute(select(LockRow.holder)).scalars().all() == ["new run"]


def test_sqlite_refuses_a_fresh_lock_from_another_host(sqlite_url: str) -> None:
    with Store.open(sqlite_url, stale_lock_after=timedelta(minutes=5)) as store:
        _plant_lock(store, host="replica-elsewhere", pid=1, heartbeat_age=timedelta(minutes=1))
        with pytest.raises(RunInProgress) as refused, store.profile_lock("staff", "new run"):
            pass
        assert "held by old run (pid 1 on replica-elsewhere)" in str(refused.value)
        assert "heartbeat is older than 300 s" in str(refused.value)


def test_sqlite_heartbeat_keeps_a_long_run_alive(sqlite_url: str) -> None:
    short = timedelta(seconds=0.4)
    with (
        Store.open(sqlite_url, stale_lock_after=short) as store,
        Store.open(sqlite_url, stale_lock_after=short) as other,
        store.profile_lock("staff", "long run"),
    ):
        with store.engine.connect() as connection:
            first = connection.execute(select(LockRow.heartbeat_at)).scalar_one()
        deadline = time.monotonic() + 30
        while True:
            with store.engine.connect() as connection:
                latest = connection.execute(select(LockRow.heartbeat_at)).scalar_one()
            if latest > first or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert latest > first
        # Our own pid is alive and the heartbeat is fresh, so a second opener is refused.
        with pytest.raises(RunInProgress, match="held by long run"), other.profile_lock("staff", "intruder"):
            pass
