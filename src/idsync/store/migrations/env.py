"""Alembic environment: migrations run on the connection `idsync.store.migrate` passes in.

There is no alembic.ini and no URL here: the store opens the connection (and, on PostgreSQL, takes the
migration lock) so that concurrent `idsync` processes never migrate the same database twice at once.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from idsync.store.models import Base


def _run() -> None:
    """Run the pending revisions inside the caller's transaction."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("idsync migrations run only through idsync.store.migrate (no connection given)")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
