"""What runs between full reads may take as known about a target, per profile and target: people it was
asked about and did not have (`absent_users`, see `idsync.engine.absences`) and managed groups a run
left exactly as wanted (`group_digests`, see `idsync.engine.group_digests`).

Both are a map (source id → fingerprint, group name → digest) per profile and target, read whole and
written as differences, so they share `_load` and `_save`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table, and_, bindparam, delete, insert, select
from sqlalchemy.engine import Engine

from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import AbsentUserRow, GroupDigestRow

_ABSENT = cast(Table, AbsentUserRow.__table__)
_DIGESTS = cast(Table, GroupDigestRow.__table__)


def _load(engine: Engine, table: Table, key: Column[Any], value: Column[Any], profile: str,
          target: str) -> dict[str, str]:
    query = select(key, value).where(table.c.profile == profile, table.c.target == target)
    with read_transaction(engine) as db:
        return {k: v for k, v in db.execute(query).all()}


def _save(
    engine: Engine, table: Table, key: Column[Any], value: Column[Any], profile: str, target: str,
    entries: Mapping[str, str], forget: Iterable[str], *, replace_all: bool, extra: Mapping[str, Any],
) -> None:
    """Write `entries` (with the `extra` columns) and drop `forget`; `replace_all` drops every other
    row of the profile and target first."""
    gone = set(forget) | set(entries)
    mine = and_(table.c.profile == profile, table.c.target == target)
    with write_transaction(engine) as db:
        if replace_all:
            db.execute(delete(table).where(mine))
        elif gone:
            db.execute(delete(table).where(mine, key == bindparam("k")), [{"k": k} for k in sorted(gone)])
        if entries:
            db.execute(insert(table), [
                {"profile": profile, "target": target, key.name: k, value.name: v, **extra}
                for k, v in sorted(entries.items())
            ])


def load_absences(engine: Engine, profile: str, target: str) -> dict[str, str]:
    """Source id → the fingerprint the person had when the target was found not to have them."""
    return _load(engine, _ABSENT, _ABSENT.c.source_id, _ABSENT.c.fingerprint, profile, target)


def save_absences(
    engine: Engine, profile: str, target: str, found_absent: Mapping[str, str], forget: Iterable[str],
    checked_at: datetime, *, replace_all: bool = False,
) -> None:
    """Record `found_absent` (source id → fingerprint) and drop `forget`; `replace_all` drops every
    other record of the profile and target first (after a run that looked everyone up)."""
    _save(engine, _ABSENT, _ABSENT.c.source_id, _ABSENT.c.fingerprint, profile, target, found_absent, forget,
          replace_all=replace_all, extra={"checked_at": checked_at})


def load_group_digests(engine: Engine, profile: str, target: str) -> dict[str, str]:
    """Group name → the digest of its wanted members when a run last left it exactly so."""
    return _load(engine, _DIGESTS, _DIGESTS.c.group_name, _DIGESTS.c.digest, profile, target)


def save_group_digests(
    engine: Engine, profile: str, target: str, digests: Mapping[str, str], forget: Iterable[str],
    *, replace_all: bool = False,
) -> None:
    """Record `digests` and drop `forget` (`replace_all`: drop every other record first)."""
    _save(engine, _DIGESTS, _DIGESTS.c.group_name, _DIGESTS.c.digest, profile, target, digests, forget,
          replace_all=replace_all, extra={})
