"""History searches for the REST API and `idsync history`: runs filtered by profile, trigger, status
and user, paged by a cursor; one run's items filtered by outcome, action and user, paged by offset.

Runs are listed newest first. The cursor is the id of the last run of the previous page: the next page
holds the runs that sort after it (started earlier, or at the same millisecond with a smaller id), so
runs that start while a client pages never shift or repeat a page. A run's items never change once it
finished, so they page by plain offset in plan order.

"User" matches a run when it was a single-user run of that source id, or when one of its items names
that target username or source id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, and_, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from idsync.store.db import read_transaction
from idsync.store.history import _ITEM_COLUMNS, _SUMMARY_COLUMNS, _item, _summary
from idsync.store.models import RunItemRow, RunRow
from idsync.store.records import RunDetail, RunItemRecord, RunNotFound, RunSummary

_ITEMS = RunItemRow.__table__
assert isinstance(_ITEMS, Table)


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which runs to list; None means any."""

    profile: str | None = None
    trigger: str | None = None
    status: str | None = None
    user: str | None = None
    started_after: datetime | None = None
    """Only runs started at or after this time."""
    started_before: datetime | None = None
    """Only runs started before this time."""


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """Which items of a run to list; None means any."""

    outcome: str | None = None
    action: str | None = None
    user: str | None = None
    group: str | None = None


def _user_matches(user: str) -> ColumnElement[bool]:
    touched = exists().where(
        _ITEMS.c.run_id == RunRow.id, or_(_ITEMS.c.user == user, _ITEMS.c.source_id == user)
    )
    return or_(RunRow.single_user == user, touched)


def search_runs(
    engine: Engine, where: RunFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[RunSummary], str | None]:
    """One page of runs, newest first, and the cursor of the next page (None on the last page).
    Raises RunNotFound when `cursor` names no run."""
    query = select(*_SUMMARY_COLUMNS)
    if where.profile is not None:
        query = query.where(RunRow.profile == where.profile)
    if where.trigger is not None:
        query = query.where(RunRow.trigger == where.trigger)
    if where.status is not None:
        query = query.where(RunRow.status == where.status)
    if where.user is not None:
        query = query.where(_user_matches(where.user))
    if where.started_after is not None:
        query = query.where(RunRow.started_at >= where.started_after)
    if where.started_before is not None:
        query = query.where(RunRow.started_at < where.started_before)
    with read_transaction(engine) as conn:
        if cursor is not None:
            started = conn.execute(select(RunRow.started_at).where(RunRow.id == cursor)).scalar_one_or_none()
            if started is None:
                raise RunNotFound(cursor)
            query = query.where(
                or_(RunRow.started_at < started, and_(RunRow.started_at == started, RunRow.id < cursor))
            )
        query = query.order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit + 1)
        rows = conn.execute(query).all()
    runs = [_summary(row) for row in rows[:limit]]
    return runs, (runs[-1].id if len(rows) > limit and runs else None)


def search_items(
    engine: Engine, run_id: str, where: ItemFilter, *, limit: int, offset: int
) -> tuple[Sequence[RunItemRecord], int]:
    """One page of a run's items in plan order, and how many items match in all."""
    conditions: list[ColumnElement[bool]] = [_ITEMS.c.run_id == run_id]
    if where.outcome is not None:
        conditions.append(_ITEMS.c.outcome == where.outcome)
    if where.action is not None:
        conditions.append(_ITEMS.c.action == where.action)
    if where.user is not None:
        conditions.append(or_(_ITEMS.c.user == where.user, _ITEMS.c.source_id == where.user))
    if where.group is not None:
        conditions.append(_ITEMS.c.group == where.group)
    with read_transaction(engine) as conn:
        total = conn.execute(select(func.count()).select_from(_ITEMS).where(*conditions)).scalar_one()
        rows = conn.execute(
            select(*_ITEM_COLUMNS).where(*conditions).order_by(_ITEMS.c.idx).limit(limit).offset(offset)
        ).all()
    return [_item(tuple(row)) for row in rows], int(total)


def run_header(engine: Engine, run_id: str) -> RunDetail:
    """One run without its items (`items` is empty): a large run's items are paged separately."""
    extra = (RunRow.plan_created_at, RunRow.single_user, RunRow.timings, RunRow.notes, RunRow.disputes,
             RunRow.managed_users)  # fmt: skip
    with read_transaction(engine) as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS, *extra).where(RunRow.id == run_id)).one_or_none()
    if row is None:
        raise RunNotFound(run_id)
    values = tuple(row)
    base = len(_SUMMARY_COLUMNS)
    plan_created_at, single_user, timings, notes, disputes, managed_users = values[base:]
    return RunDetail(
        summary=_summary(values[:base]),
        plan_created_at=plan_created_at,
        single_user=single_user,
        timings=dict(timings or {}),
        notes=tuple(notes or ()),
        disputes=tuple(disputes or ()),
        managed_users=dict(managed_users or {}),
        items=(),
    )


def search_person(
    engine: Engine, user: str, *, profile: str | None = None, limit: int
) -> tuple[list[tuple[RunSummary, RunItemRecord]], bool]:
    """The items that name `user` (target username or source id) across runs, newest run first and in
    plan order within a run, with whether more than `limit` matched."""
    query = (
        select(*_SUMMARY_COLUMNS, *_ITEM_COLUMNS)
        .select_from(_ITEMS.join(RunRow, RunRow.id == _ITEMS.c.run_id))
        .where(or_(_ITEMS.c.user == user, _ITEMS.c.source_id == user))
    )
    if profile is not None:
        query = query.where(RunRow.profile == profile)
    query = query.order_by(RunRow.started_at.desc(), RunRow.id.desc(), _ITEMS.c.idx).limit(limit + 1)
    with read_transaction(engine) as conn:
        rows = conn.execute(query).all()
    base = len(_SUMMARY_COLUMNS)
    found = [(_summary(tuple(row)[:base]), _item(tuple(row)[base:])) for row in rows[:limit]]
    return found, len(rows) > limit
