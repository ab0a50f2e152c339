"""Local admin accounts of the web UI and the server's generated keys, as rows.

Only hashes are stored (argon2id, made by `idsync.service.admins`); this module never sees a password.
`server_key` creates a key at most once even when several replicas start at the same moment: the
insert races on the primary key and every process then reads the one row that won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import AdminAccountRow, ServerKeyRow
from idsync.store.sealing import Sealer


@dataclass(frozen=True, slots=True)
class AdminAccount:
    """One admin as `idsync admin list` shows it (never the hash)."""

    name: str
    created_at: datetime
    password_changed_at: datetime
    last_login_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "password_changed_at": self.password_changed_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


class AdminExists(ValueError):
    """An admin of that name exists already."""


def add(engine: Engine, name: str, password_hash: str) -> None:
    """Create admin `name`; raises AdminExists when the name is taken."""
    now = datetime.now(UTC)
    try:
        with write_transaction(engine) as conn:
            conn.execute(
                insert(AdminAccountRow).values(
                    name=name, password_hash=password_hash, created_at=now, password_changed_at=now,
                    last_login_at=None,
                )
            )  # fmt: skip
    except IntegrityError:
        raise AdminExists(name) from None


def set_hash(engine: Engine, name: str, password_hash: str) -> bool:
    """Replace admin `name`'s hash (a new password, or a rehash with newer parameters)."""
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(AdminAccountRow)
            .where(AdminAccountRow.name == name)
            .values(password_hash=password_hash, password_changed_at=datetime.now(UTC))
        )
    return bool(result.rowcount)


def remove(engine: Engine, name: str) -> bool:
    """Delete admin `name`; False when there is none."""
    with write_transaction(engine) as conn:
        result = conn.execute(delete(AdminAccountRow).where(AdminAccountRow.name == name))
    return bool(result.rowcount)


def password_hash(engine: Engine, name: str) -> str | None:
    """Admin `name`'s hash, None when there is no such admin."""
    with read_transaction(engine) as conn:
        found = conn.execute(
            select(AdminAccountRow.password_hash).where(AdminAccountRow.name == name)
        ).scalar_one_or_none()
    return found


def list_admins(engine: Engine) -> list[AdminAccount]:
    """Every admin by name."""
    columns = (
        AdminAccountRow.name, AdminAccountRow.created_at, AdminAccountRow.password_changed_at,
        AdminAccountRow.last_login_at,
    )  # fmt: skip
    with read_transaction(engine) as conn:
        rows = conn.execute(select(*columns).order_by(AdminAccountRow.name)).all()
    return [AdminAccount(*row) for row in rows]


def session_stamps(engine: Engine) -> dict[str, datetime]:
    """Name → password_changed_at of every admin: a session is valid while its admin exists and the
    password has not changed since the session began."""
    with read_transaction(engine) as conn:
        rows = conn.execute(select(AdminAccountRow.name, AdminAccountRow.password_changed_at)).all()
    return {name: changed for name, changed in rows}


def touch_login(engine: Engine, name: str) -> None:
    """Record a successful login."""
    with write_transaction(engine) as conn:
        conn.execute(
            update(AdminAccountRow)
            .where(AdminAccountRow.name == name)
            .values(last_login_at=datetime.now(UTC))
        )


def server_key(engine: Engine, name: str, make: str, sealer: Sealer) -> str:
    """The stored key `name`; stores `make` first when there is none yet (the first caller wins). Kept
    only sealed (idsync.store.sealing)."""
    what = f"server key {name!r}"
    with read_transaction(engine) as conn:
        found = conn.execute(select(ServerKeyRow.value).where(ServerKeyRow.name == name)).scalar_one_or_none()
    if found is not None:
        return sealer.open(found, what)
    try:
        with write_transaction(engine) as conn:
            conn.execute(insert(ServerKeyRow).values(name=name, value=sealer.seal(make),
                                                     created_at=datetime.now(UTC)))
    except IntegrityError:
        pass  # another process stored it first: read theirs
    with read_transaction(engine) as conn:
        stored: str = conn.execute(select(ServerKeyRow.value).where(ServerKeyRow.name == name)).scalar_one()
    return sealer.open(stored, what)


def reseal_server_keys(engine: Engine, sealer: Sealer) -> list[str]:
    """Every stored server key sealed again under the sealer's first key; returns their names."""
    with write_transaction(engine) as conn:
        rows = conn.execute(select(ServerKeyRow.name, ServerKeyRow.value)).all()
        for name, value in rows:
            conn.execute(update(ServerKeyRow).where(ServerKeyRow.name == name)
                         .values(value=sealer.reseal(value, f"server key {name!r}")))
    return sorted(name for name, _ in rows)
