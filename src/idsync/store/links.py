"""Link rows: which target user idsync manages for which source id, and what it last wrote.

Reads and writes are bulk (one SELECT; upserts as executemany in slices of 5,000 rows, one
executemany delete, all in one transaction): a profile of 100,000 users loads and saves in well under
a second on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import String, Table, and_, bindparam, delete, select
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from idsync.domain.records import Link
from idsync.store.bulk import execute_many
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import LinkRow

_TABLE = cast(Table, LinkRow.__table__)
_ROWS_PER_UPSERT = 5000
_COLUMNS = (
    LinkRow.source_id,
    LinkRow.target_key,
    LinkRow.username,
    LinkRow.fingerprint,
    LinkRow.active,
    # the JSON as text, decoded here only when not empty: most rows hold {}, and the JSON type's
    # per-row decoding was most of the time of loading 150,000 links (3.9 s → see bench/store_bulk.py)
    cast_(LinkRow.groups, String),
)
_UPSERT_BINDS = tuple((name, _TABLE.c[name].type) for name in (
    "profile", "target", "source_id", "target_key", "username", "fingerprint", "active", "groups",
    "updated_at",
))  # fmt: skip
"""The columns `save_links` writes, in the order it gives a row's values."""
_NO_GROUPS = frozenset({None, "", "{}", "null"})
_GROUP_KINDS = (("granted", "granted_groups"), ("pending", "pending_groups"), ("licence", "licence_groups"))
"""links.groups JSON key → Link field."""


def _groups_json(link: Link) -> dict[str, list[str]]:
    return {key: sorted(getattr(link, attr)) for key, attr in _GROUP_KINDS if getattr(link, attr)}


def _group_sets(groups: Any) -> dict[str, frozenset[str]]:
    """The Link fields of one links.groups value (empty ones left to the fields' defaults)."""
    if groups in _NO_GROUPS:
        return {}
    decoded = orjson.loads(groups) if isinstance(groups, str) else groups
    kinds = decoded if isinstance(decoded, dict) else {}
    return {attr: frozenset(kinds[key]) for key, attr in _GROUP_KINDS if kinds.get(key)}


def load_links(engine: Engine, profile: str, target: str) -> dict[str, Link]:
    """Every link of one profile and target, keyed by source id."""
    query = select(*_COLUMNS).where(LinkRow.profile == profile, LinkRow.target == target)
    with read_transaction(engine) as connection:
        rows = connection.execute(query).all()
    # Most links hold the same few groups (the default group for new users): each distinct value is
    # decoded once and its sets shared; a frozenset per field per link, empty ones too, took ~95 MB for
    # 150,000 links.
    sets: dict[Any, dict[str, frozenset[str]]] = {}
    links: dict[str, Link] = {}
    for source_id, target_key, username, fingerprint, active, groups in rows:
        key = groups if isinstance(groups, str | None) else orjson.dumps(groups)
        fields = sets.get(key)
        if fields is None:
            fields = sets[key] = _group_sets(groups)
        links[source_id] = Link(source_id, target, target_key, username, fingerprint, bool(active), **fields)
    return links


def save_links(
    engine: Engine, profile: str, target: str, upserts: Iterable[Link], removals: Iterable[str]
) -> None:
    """Insert or update `upserts` and delete the links of `removals` (source ids), atomically."""
    upserts = list(upserts)
    for link in upserts:
        if link.target != target:
            raise ValueError(
                f"link for source id {link.source_id!r} names target {link.target!r}, "
                f"but save_links was called for target {target!r}"
            )
    now = datetime.now(UTC)
    # rows made and sent in slices: every row of a 130,000-user initial sync as one list of dicts
    # (~50 MB) and the driver's copy of it were alive at once
    rows = ((profile, target, link.source_id, link.target_key, link.username, link.fingerprint, link.active,
             _groups_json(link), now) for link in upserts)  # fmt: skip
    gone = [{"p": profile, "t": target, "s": source_id} for source_id in removals]
    if not upserts and not gone:
        return
    with write_transaction(engine) as connection:
        if upserts:
            insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
            statement = insert(_TABLE)
            statement = statement.on_conflict_do_update(
                index_elements=["profile", "target", "source_id"],
                set_={
                    name: statement.excluded[name]
                    for name in ("target_key", "username", "fingerprint", "active", "groups", "updated_at")
                },
            )
            execute_many(connection, statement, _UPSERT_BINDS, rows, slice_size=_ROWS_PER_UPSERT)
        if gone:
            connection.execute(
                delete(_TABLE).where(
                    and_(
                        _TABLE.c.profile == bindparam("p"),
                        _TABLE.c.target == bindparam("t"),
                        _TABLE.c.source_id == bindparam("s"),
                    )
                ),
                gone,
            )
