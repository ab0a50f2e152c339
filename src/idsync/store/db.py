"""Opening the store's database: URL checks, engine set-up per dialect, and migrations on open.

SQLite gets WAL (readers never wait for the writer), a busy timeout (several processes share one file)
and real transactions: pysqlite's implicit BEGIN is switched off and we emit BEGIN ourselves, or
BEGIN IMMEDIATE for write transactions, so a read-then-write never fails on a lock upgrade.
PostgreSQL serialises concurrent migrations with a transaction-scoped advisory lock.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from idsync.domain.errors import ConfigError

SUPPORTED = "sqlite:///path/to/idsync.db or postgresql+psycopg://user:password@host/dbname"
_IMMEDIATE = "idsync_immediate"
_SQLITE_BUSY_MS = 30_000


def safe_url(url: str | URL) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def advisory_key(namespace: str, name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock`, the same in every process and replica."""
    digest = hashlib.sha256(f"idsync:{namespace}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def parse_url(url: str) -> URL:
    """Parse and check a store URL; bad input is a ConfigError naming the value and the valid forms."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database: {url!r} is not a database URL; use {SUPPORTED}") from None
    if parsed.drivername == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigError(
                f"database: {safe_url(parsed)!r} has no file path (an in-memory store would forget "
                f"every link and run); use {SUPPORTED}"
            )
        parent = Path(parsed.database).resolve().parent
        if not parent.is_dir():
            raise ConfigError(
                f"database: the directory {str(parent)!r} of {safe_url(parsed)!r} does not exist; "
                "create it or point the URL at an existing directory"
            )
        return parsed
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError(
        f"database: unsupported driver {parsed.drivername!r} in {safe_url(parsed)!r}; use {SUPPORTED}"
    )


def create_store_engine(url: str) -> Engine:
    """An engine configured for the store's access pattern on this dialect."""
    parsed = parse_url(url)
    # orjson: history writes one JSON value per item, and the stdlib encoder was half of finish_run.
    json = {"json_serializer": _dump_json, "json_deserializer": orjson.loads}
    if parsed.drivername == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_MS / 1000}, **json)
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **json)


def _dump_json(value: object) -> str:
    """JSON text for a JSON column."""
    return orjson.dumps(value).decode()


def _configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys, and transactions we control (see the module docstring)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{_IMMEDIATE: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (a consistent snapshot on both dialects)."""
    with engine.connect() as connection, connection.begin():
        yield connection


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes open the store at once."""
    config = Config()
    config.set_main_option("script_location", "idsync.store:migrations")
    try:
        with write_transaction(engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key("migrate", "schema")}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:
        raise ConfigError(
            f"database: cannot open the store at {safe_url(engine.url)!r}: {_first_line(exc.orig)}"
        ) from None


def _first_line(error: BaseException | None) -> str:
    """The driver's message without the SQL and parameters SQLAlchemy appends."""
    return str(error).strip().splitlines()[0] if error is not None and str(error).strip() else "unknown error"
