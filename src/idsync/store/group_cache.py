"""Rows of the Okta group-membership cache (`source_group_members`), per source connection.

A save writes only the groups read anew (delete + insert, one transaction) and drops groups that are
gone, so a run in which nothing changed writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select
from sqlalchemy.engine import Engine

from idsync.domain.records import CachedGroup
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import SourceGroupMembersRow

_TABLE = cast(Table, SourceGroupMembersRow.__table__)


def load_group_members(engine: Engine, connection: str) -> dict[str, CachedGroup]:
    """Every cached group of one source connection, keyed by group id."""
    query = select(
        _TABLE.c.group_id,
        _TABLE.c.last_membership_updated,
        _TABLE.c.last_updated,
        _TABLE.c.member_ids,
        _TABLE.c.read_at,
    ).where(_TABLE.c.connection == connection)
    with read_transaction(engine) as db:
        rows = db.execute(query).all()
    return {
        group_id: CachedGroup(group_id, membership, updated, frozenset(members), read_at)
        for group_id, membership, updated, members, read_at in rows
    }


def save_group_members(
    engine: Engine, connection: str, entries: Iterable[CachedGroup], keep: set[str]
) -> None:
    """Insert or replace `entries` and delete the connection's rows of groups not in `keep`, atomically."""
    rows: list[dict[str, Any]] = [
        {
            "connection": connection,
            "group_id": entry.group_id,
            "last_membership_updated": entry.last_membership_updated,
            "last_updated": entry.last_updated,
            "member_ids": sorted(entry.member_ids),
            "read_at": entry.read_at,
        }
        for entry in entries
    ]
    with write_transaction(engine) as db:
        stored = db.execute(select(_TABLE.c.group_id).where(_TABLE.c.connection == connection)).scalars()
        gone = [{"c": connection, "g": gid} for gid in stored if gid not in keep]
        gone += [{"c": connection, "g": row["group_id"]} for row in rows]
        if gone:
            where = and_(_TABLE.c.connection == bindparam("c"), _TABLE.c.group_id == bindparam("g"))
            db.execute(delete(_TABLE).where(where), gone)
        if rows:
            db.execute(insert(_TABLE), rows)


class StoreMembershipCache:
    """The `MembershipCache` of one source connection, backed by the store."""

    def __init__(self, engine: Engine, connection: str) -> None:
        self._engine = engine
        self._connection = connection

    def load(self) -> dict[str, CachedGroup]:
        """Every cached group of the connection."""
        return load_group_members(self._engine, self._connection)

    def save(self, entries: Iterable[CachedGroup], keep: set[str]) -> None:
        """Write entries and drop groups not in `keep`."""
        save_group_members(self._engine, self._connection, entries, keep)
