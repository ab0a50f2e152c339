"""Bearer tokens of scim_inbound connections.

A token is 32 random bytes (URL-safe base64), shown once when issued; the store keeps only its SHA-256.
Verification hashes the presented token and compares the digests in constant time against the hash
of the connection the request is addressed to, so one connection's token never opens another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import ScimTokenRow

TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(engine: Engine, connection: str, *, rotate: bool = False) -> str:
    """A new token for `connection`, stored as a hash. Without `rotate`, refuses (ValueError) when the
    connection already has one, so a token in use is never replaced by accident."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(engine) as conn:
        exists = conn.execute(
            select(ScimTokenRow.connection).where(ScimTokenRow.connection == connection)
        ).first()
        if exists and not rotate:
            raise ValueError(
                f"connection {connection!r} already has a SCIM token; use --rotate to replace it "
                "(the old token stops working) or --revoke to remove it"
            )
        conn.execute(delete(ScimTokenRow).where(ScimTokenRow.connection == connection))
        conn.execute(
            insert(ScimTokenRow).values(
                connection=connection, token_sha256=_digest(token), created_at=datetime.now(UTC)
            )
        )
    return token


def revoke(engine: Engine, connection: str) -> bool:
    """Remove the connection's token; True when there was one."""
    with write_transaction(engine) as conn:
        result = conn.execute(delete(ScimTokenRow).where(ScimTokenRow.connection == connection))
    return bool(result.rowcount)


def stored_hash(engine: Engine, connection: str) -> str | None:
    """The SHA-256 (hex) of the connection's token, or None when it has none."""
    with read_transaction(engine) as conn:
        return conn.execute(
            select(ScimTokenRow.token_sha256).where(ScimTokenRow.connection == connection)
        ).scalar_one_or_none()


def matches(presented: str, expected_sha256: str | None) -> bool:
    """Whether a presented token hashes to the stored digest (constant-time compare)."""
    if expected_sha256 is None:
        return False
    return hmac.compare_digest(_digest(presented), expected_sha256)
