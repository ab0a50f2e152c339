"""Bulk speed of the store: saving and loading links, finishing and reading a large run.

    uv run python bench/store_bulk.py --links 100000 --items 20000 [--postgres]

SQLite in a temp file by default; `--postgres` starts a throwaway server (tests/fixtures/postgres.py)
and measures the same there. Prints, per operation, the best wall-clock seconds of `--repeat` runs and
this process's CPU seconds in that run (on a busy shared machine the CPU figure is the steadier one;
PostgreSQL's own CPU time is in its server processes, not here).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.postgres import start_postgres

from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Link, Reason
from idsync.store import Store


@contextmanager
def store_url(postgres: bool) -> Iterator[str]:
    """A fresh store database URL."""
    if postgres:
        with start_postgres() as cluster:
            yield cluster.create_database("bench")
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/bench.db"


def best(repeat: int, setup: Callable[[], object], action: Callable[[], object]) -> tuple[float, float]:
    """(wall, cpu) seconds of the fastest of `repeat` runs of `action`, `setup` untimed before each."""
    runs = []
    for _ in range(repeat):
        setup()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def sample_links(count: int) -> list[Link]:
    """Links shaped like Okta ids and Jira keys."""
    return [
        Link(f"00u{n:08d}", "jira", f"JIRAUSER{n}", f"user{n}", f"{n:040x}", n % 7 != 0) for n in range(count)
    ]


def sample_run(count: int, users: int) -> tuple[Plan, list[ItemResult]]:
    """A plan of memberships and updates, one item in ten failed."""
    items = tuple(
        PlanItem(
            Action.ADD_MEMBER if n % 3 else Action.UPDATE_USER,
            "jira",
            Reason("groups", f"Okta group g{n % 50}"),
            user=f"user{n}",
            group=f"g{n % 50}",
            changes=(Change("displayName", f"U {n}", f"User {n}"),),
        )
        for n in range(count)
    )
    results = [
        ItemResult(n, Outcome.FAILED, error="400: bad") if n % 10 == 0 else ItemResult(n, Outcome.APPLIED)
        for n in range(count)
    ]
    return Plan("bench", datetime.now(UTC), items, "okta", users, 50), results


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description="Bulk speed of the idsync store")
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    links = sample_links(args.links)
    ids = [link.source_id for link in links]
    plan, results = sample_run(args.items, args.links)

    figures: dict[str, tuple[float, float]] = {}
    with store_url(args.postgres) as url:
        store = Store.open(url)

        def nothing() -> None:
            """No set-up."""

        def clear() -> None:
            store.save_links("bench", "jira", [], ids)

        def save(batch: list[Link]) -> Callable[[], None]:
            return lambda: store.save_links("bench", "jira", batch, [])

        figures["save 10,000 new links"] = best(args.repeat, clear, save(links[:10_000]))
        figures[f"save {args.links:,} new links"] = best(args.repeat, clear, save(links))
        figures[f"upsert {args.links:,} existing links"] = best(args.repeat, nothing, save(links))
        load = f"load {args.links:,} links"
        figures[load] = best(args.repeat, nothing, lambda: store.links("bench", "jira"))
        run_ids: list[str] = []
        figures[f"finish a run of {args.items:,} items"] = best(
            args.repeat,
            lambda: run_ids.append(store.start_run("bench", "bench")),
            lambda: store.finish_run(run_ids[-1], status="partial", plan=plan, results=results, timings={}),
        )
        read = f"read a run of {args.items:,} items"
        figures[read] = best(args.repeat, nothing, lambda: store.run(run_ids[-1]))
        figures["list 20 runs"] = best(args.repeat, nothing, store.runs)
        store.close()
    print(f"store: {'postgresql' if args.postgres else 'sqlite'}, best of {args.repeat}")
    for name, (wall, cpu) in figures.items():
        print(f"  {name:<36} {wall:7.3f} s wall {cpu:7.3f} s cpu")


if __name__ == "__main__":
    main()
