"""Bearer tokens of the REST API (`idsync api token create|list|revoke NAME`).

A token is 32 random bytes (URL-safe base64) with an `ids_` prefix, shown once when created; the store
keeps only its SHA-256. Verification hashes the presented token and compares it with every active
token's hash using `hmac.compare_digest`, without stopping at the first match, so the time taken says
nothing about which stored hash (if any) was close. Revoked tokens stay listed with their revocation
time: an operator can see which integration lost access and when.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import ApiTokenRow

TOKEN_BYTES = 32
PREFIX = "ids_"
"""Makes an idsync API token recognisable in a secret scanner or a pasted log line."""
LAST_USED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token, so authentication is not a write per request."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One API token as `idsync api token list` shows it (never the token itself)."""

    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the token still opens the API."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "name": self.name,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


class TokenNameTaken(ValueError):
    """A token of that name exists already (active or revoked: names are never reused)."""


def digest(token: str) -> str:
    """The SHA-256 (hex) the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(engine: Engine, name: str) -> str:
    """A new token named `name`, stored as a hash; raises TokenNameTaken when the name is used."""
    token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(engine) as conn:
        row = conn.execute(select(ApiTokenRow.revoked_at).where(ApiTokenRow.name == name)).first()
        if row is not None:
            state = "revoked" if row[0] is not None else "active"
            raise TokenNameTaken(
                f"an API token named {name!r} exists already ({state}); token names are never reused, "
                "so history and `idsync api token list` stay unambiguous: choose another name"
            )
        conn.execute(
            insert(ApiTokenRow).values(
                name=name, token_sha256=digest(token), created_at=datetime.now(UTC),
                revoked_at=None, last_used_at=None,
            )
        )  # fmt: skip
    return token


def revoke(engine: Engine, name: str) -> bool:
    """Revoke the token named `name`; False when there is no active token of that name."""
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(result.rowcount)


def list_tokens(engine: Engine) -> list[ApiToken]:
    """Every token, active and revoked, by name."""
    columns = (ApiTokenRow.name, ApiTokenRow.created_at, ApiTokenRow.revoked_at, ApiTokenRow.last_used_at)
    with read_transaction(engine) as conn:
        rows = conn.execute(select(*columns).order_by(ApiTokenRow.name)).all()
    return [ApiToken(*row) for row in rows]


def active_hashes(engine: Engine) -> dict[str, str]:
    """Hash → name of every active token."""
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(ApiTokenRow.token_sha256, ApiTokenRow.name).where(ApiTokenRow.revoked_at.is_(None))
        ).all()
    return {sha: name for sha, name in rows}


def match(presented: str, hashes: dict[str, str]) -> str | None:
    """The name of the active token `presented` is, or None. Compares against every hash."""
    wanted = digest(presented)
    found: str | None = None
    for sha, name in hashes.items():
        if hmac.compare_digest(wanted, sha):
            found = name
    return found


def touch(engine: Engine, name: str, now: datetime | None = None) -> None:
    """Record that the token was used, unless that was recorded less than LAST_USED_EVERY ago."""
    now = now or datetime.now(UTC)
    with write_transaction(engine) as conn:
        conn.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.name == name,
                (ApiTokenRow.last_used_at.is_(None)) | (ApiTokenRow.last_used_at < now - LAST_USED_EVERY),
            )
            .values(last_used_at=now)
        )
