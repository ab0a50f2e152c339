"""Many rows through one statement, handed to the database driver as they are.

SQLAlchemy's executemany handles each row's parameters in Python (its generic parameter construction,
then each type's bind processor). For the 211,775 items a 10,000-person initial sync writes to history
before its first write, that was 3.6 s of the 5.2 s the insert took, inside the apply stage; at
150,000 people (1.2 million items) half a minute, and as much again for the outcomes.

Here the statement is compiled once for the connection's dialect, each column's bind processor (the
dialect's own: JSON text on SQLite, psycopg's `Json` on PostgreSQL) is applied only where the type has
one, and the rows go to the driver's executemany in the paramstyle the statement was compiled for:
tuples in the compiled order for SQLite's `?`, dicts for psycopg's `%(name)s`. What reaches the
database is what SQLAlchemy would have sent; the statement is still built with Core, so it follows the
tables in `models.py` and the dialect's quoting (`"group"`) and casts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeEngine

Bind = tuple[str, TypeEngine[Any]]
"""A parameter's name in the statement and the type it binds (a column's type)."""


def execute_many(
    connection: Connection,
    statement: UpdateBase,
    binds: Sequence[Bind],
    rows: Iterable[Sequence[Any]],
    *,
    slice_size: int = 2000,
) -> None:
    """Execute `statement` once per row, `slice_size` rows per driver call. Each row holds the values
    of `binds`, in that order; every parameter the compiled statement takes must be one of them
    (ValueError otherwise: a statement and its binds out of step is a bug, never a partial write)."""
    dialect = connection.dialect
    names = [name for name, _ in binds]
    compiled = statement.compile(dialect=dialect, column_keys=names)
    escaped = compiled.escaped_bind_names
    wanted = [escaped.get(name, name) for name in names]
    taken = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    unknown = sorted(set(taken) - set(wanted))
    if unknown:
        raise ValueError(f"the statement takes parameters {unknown} that no bind gives (binds: {names})")
    processors = [
        (n, _memoised(process))
        for n, (_, kind) in enumerate(binds)
        if (process := kind.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]

    def processed(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for n, process in processors:
            values[n] = process(values[n])
        return values

    if compiled.positional:
        in_order = _picker([wanted.index(name) for name in taken])
        params: Iterable[Any] = map(in_order, map(processed, rows))
    else:
        params = (dict(zip(wanted, values, strict=True)) for values in map(processed, rows))
    sql = compiled.string
    while chunk := list(islice(params, slice_size)):
        connection.exec_driver_sql(sql, chunk)


def _picker(order: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """The values at `order`, as a tuple (`itemgetter`, in C; it returns a bare value for one index)."""
    if len(order) == 1:
        only = order[0]
        return lambda values: (values[only],)
    return itemgetter(*order)


def _memoised(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, with its answer for None and for an empty list, tuple or dict computed once per
    type, when first met: most of a run's items have no changes, lead or grants (635,000 of the JSON
    values of 211,775 items)."""
    known: dict[type, Any] = {}

    def memoised(value: Any) -> Any:
        if value or type(value) not in _EMPTIES:
            return process(value)
        kind = type(value)
        if kind not in known:
            known[kind] = process(value)
        return known[kind]

    return memoised


_EMPTIES = frozenset({type(None), list, tuple, dict})
"""The types whose one empty value `_memoised` processes once."""
