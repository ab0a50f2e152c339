"""The store's large writes leave nothing of what they wrote behind in the process.

SQLAlchemy's compiled cache keeps the first statement of each shape it compiles, for the life of the
engine; a value bound into that statement (`insert(...).values(data=blob)`) stays alive with it. The
store passes its large values (a source snapshot's blob, a stored plan's body, a run's notes) as
execution parameters instead. These tests look for the written value among every bound parameter
alive in the process after the write: without that, each finds it pinned.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.sql.elements import BindParameter

from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.store import Store
from idsync.store import plans as stored_plans
from idsync.store.snapshots import EncodedSnapshot, encode
from tests.store.plans import sample_plan, sample_results

READ_AT = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)


def _bound(value: Any) -> list[BindParameter[Any]]:
    """Every bound parameter alive in this process whose value is `value`."""
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, BindParameter) and type(o.value) is type(value)
            and o.value == value]  # fmt: skip


def _snapshot(cursor_mark: str) -> Snapshot:
    people = {f"00u{n}": SourceUser(f"00u{n}", "ACTIVE", {"login": f"p{n}-{cursor_mark}@example.com"})
              for n in range(200)}  # fmt: skip
    teams = {"00g1": SourceGroup("00g1", "team", frozenset(people))}
    return Snapshot("okta", people, teams, READ_AT, scope="")


def test_a_saved_snapshots_blob_is_not_kept_after_the_insert_or_the_update(store: Store) -> None:
    first, second = _snapshot("a"), _snapshot("b")
    # an insert, then an update
    store.save_source_snapshot("okta", "c1", EncodedSnapshot.of(first), expected=None, read_at=READ_AT)
    store.save_source_snapshot("okta", "c2", EncodedSnapshot.of(second), expected="c1", read_at=READ_AT)
    loaded = store.source_snapshot("okta")
    assert loaded is not None and loaded.cursor == "c2" and loaded.snapshot.users == second.users
    assert _bound(encode(first)) == []
    assert _bound(encode(second)) == []


def test_a_stored_plans_body_is_not_kept_after_the_insert(store: Store) -> None:
    plan = sample_plan()
    plan_id = stored_plans.save(store.engine, plan)
    assert stored_plans.load(store.engine, plan_id).plan.to_json() == plan.to_json()
    assert _bound(plan.to_json().decode()) == []


def test_a_runs_notes_are_not_kept_after_its_header_is_written(store: Store) -> None:
    notes = tuple(f"source user 00u{n} has no value in username attribute 'login': left out"
                  for n in range(50))
    plan = replace(sample_plan(), notes=notes)
    run_id = store.start_run("staff", "manual")
    store.begin_apply(run_id, plan)
    store.finish_run(run_id, status="partial", plan=plan, results=sample_results(), timings={"apply": 1.0},
                     recorded=())  # fmt: skip
    assert store.run(run_id).notes == notes
    assert _bound(list(notes)) == []

