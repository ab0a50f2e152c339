"""Customer links: which service-desk customers idsync manages, and the desks it added each one to.

They are rows of the link table (no table of their own, so no migration): target
`<connection>:service_desks`, `target_key` the account (Data Center username, Cloud accountId),
`username` the e-mail, and the desks in the `groups` JSON under "desks". The suffix keeps them apart
from the connection's user links, which share the profile and connection name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from idsync.domain.customers import CustomerLink
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import LinkRow

_TABLE = cast(Table, LinkRow.__table__)
_DESKS = "desks"


def load_customer_links(engine: Engine, profile: str, key: str) -> dict[str, CustomerLink]:
    """Every customer link of one profile under store target `key`, keyed by source id."""
    query = select(LinkRow.source_id, LinkRow.target_key, LinkRow.username, LinkRow.groups).where(
        LinkRow.profile == profile, LinkRow.target == key
    )
    with read_transaction(engine) as connection:
        rows = connection.execute(query).all()
    links: dict[str, CustomerLink] = {}
    for source_id, account, email, groups in rows:
        desks = groups.get(_DESKS, []) if isinstance(groups, dict) else []
        links[source_id] = CustomerLink(source_id, account, email, frozenset(desks))
    return links


def save_customer_links(
    engine: Engine, profile: str, key: str, upserts: Iterable[CustomerLink], removals: Iterable[str]
) -> None:
    """Insert or update `upserts` and delete the links of `removals` (source ids), atomically."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "profile": profile, "target": key, "source_id": link.source_id, "target_key": link.account,
            "username": link.email, "fingerprint": "", "active": True,
            "groups": {_DESKS: sorted(link.desks)}, "updated_at": now,
        }
        for link in upserts
    ]
    gone = [{"p": profile, "t": key, "s": source_id} for source_id in removals]
    if not rows and not gone:
        return
    with write_transaction(engine) as connection:
        if rows:
            insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
            statement = insert(_TABLE)
            statement = statement.on_conflict_do_update(
                index_elements=["profile", "target", "source_id"],
                set_={name: statement.excluded[name]
                      for name in ("target_key", "username", "groups", "updated_at")},
            )
            connection.execute(statement, rows)
        if gone:
            connection.execute(
                delete(_TABLE).where(and_(
                    _TABLE.c.profile == bindparam("p"), _TABLE.c.target == bindparam("t"),
                    _TABLE.c.source_id == bindparam("s"),
                )),
                gone,
            )
