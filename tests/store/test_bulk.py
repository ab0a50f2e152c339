"""`execute_many` writes exactly what SQLAlchemy's own executemany writes, on SQLite and PostgreSQL:
the same text in every column (JSON values serialised by the dialect, None as JSON null, quoting of
the `group` column), for inserts and for updates; a statement and binds out of step fail whole."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.types import Text

from idsync.store import Store
from idsync.store.bulk import execute_many
from idsync.store.db import write_transaction
from idsync.store.models import RunItemRow

_ITEMS = cast(Table, RunItemRow.__table__)
_COLUMNS = ("run_id", "idx", "action", "target", "subject", "user", "group", "reason_rule", "reason_detail",
            "changes", "outcome", "error", "attempts", "duration_ms", "lead", "grants")  # fmt: skip
_BINDS = tuple((name, _ITEMS.c[name].type) for name in _COLUMNS)


def _rows(run_id: str) -> list[tuple[Any, ...]]:
    """Rows with every kind of value the JSON columns hold: none, empty, nested, quotes, non-ASCII."""
    rows: list[tuple[Any, ...]] = []
    for n in range(7):
        changes: list[Any] = (
            [] if n % 2 else [{"field": "displayName", "old": 'O\'Brien "Bo"', "new": f"Zoë {n}"}]
        )
        lead = None if n % 3 else {"kind": "project", "id": f"P{n}", "name": "Ünïcode", "lead": "cy"}
        grants = None if n % 2 else [f"g{n}", "jira-software-users"]
        rows.append((run_id, n, "add_member", "jira", f"user{n} → team", f"u{n}", "team's",
                     "groups", "line 1\nline 2", changes, "planned", None if n else "it's 'bad'", n,
                     n * 0.5, lead, grants))  # fmt: skip
    return rows


def _stored(store: Store, run_id: str) -> list[tuple[Any, ...]]:
    """Every column of the run's rows as the database holds them (JSON as its text), run id aside."""
    columns = [cast_(_ITEMS.c[name], Text) if name in ("changes", "lead", "grants") else _ITEMS.c[name]
               for name in _COLUMNS[1:]]  # fmt: skip
    with store.engine.connect() as connection:
        query = select(*columns).where(_ITEMS.c.run_id == run_id).order_by(_ITEMS.c.idx)
        return [tuple(row) for row in connection.execute(query)]


def test_inserts_and_updates_store_what_sqlalchemy_stores(store: Store) -> None:
    ours, theirs = store.start_run("p", "manual"), store.start_run("p", "manual")
    with write_transaction(store.engine) as connection:
        execute_many(connection, insert(_ITEMS), _BINDS, _rows(ours), slice_size=3)
        connection.execute(insert(_ITEMS), [dict(zip(_COLUMNS, row, strict=True)) for row in _rows(theirs)])
    assert _stored(store, ours) == _stored(store, theirs)
    assert len(_stored(store, ours)) == 7

    statement = (
        update(_ITEMS)
        .where(_ITEMS.c.run_id == bindparam("b_run"), _ITEMS.c.idx == bindparam("b_idx"))
        .values(outcome=bindparam("b_outcome"), error=bindparam("b_error"), grants=bindparam("b_grants"))
    )
    binds = (("b_run", _ITEMS.c.run_id.type), ("b_idx", _ITEMS.c.idx.type),
             ("b_outcome", _ITEMS.c.outcome.type), ("b_error", _ITEMS.c.error.type),
             ("b_grants", _ITEMS.c.grants.type))  # fmt: skip

    def changes(run_id: str) -> list[tuple[Any, ...]]:
        return [(run_id, n, "applied" if n % 2 else "failed", None if n % 2 else f"error {n}: 'quoted'",
                 [] if n % 3 else [f"new{n}"]) for n in range(0, 7, 2)]  # fmt: skip

    with write_transaction(store.engine) as connection:
        execute_many(connection, statement, binds, changes(ours))
        connection.execute(
            statement, [dict(zip([b for b, _ in binds], row, strict=True)) for row in changes(theirs)]
        )
    mine = _stored(store, ours)
    assert mine == _stored(store, theirs)
    outcomes = [row[_COLUMNS.index("outcome") - 1] for row in mine]
    assert outcomes == ["failed", "planned", "failed", "planned", "failed", "planned", "failed"]


def test_a_parameter_no_bind_gives_fails_before_anything_is_written(store: Store) -> None:
    run_id = store.start_run("p", "manual")
    # no value for `attempts`, which has a default: the compiled insert takes it all the same
    gap = _COLUMNS.index("attempts")
    short = _BINDS[:gap] + _BINDS[gap + 1 :]
    rows = [row[:gap] + row[gap + 1 :] for row in _rows(run_id)]
    with (
        pytest.raises(ValueError, match=r"parameters \['attempts'\] that no bind gives"),
        write_transaction(store.engine) as connection,
    ):
        execute_many(connection, insert(_ITEMS), short, rows)
    assert _stored(store, run_id) == []
