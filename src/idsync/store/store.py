"""The `Store` facade: one object the engine, CLI and server hold for links, history and locks."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from idsync.domain.customers import CustomerLink
from idsync.domain.plan import ItemResult, Plan
from idsync.domain.records import CachedGroup, Link
from idsync.store import absences, customers, group_cache, history, journal, links, locks, snapshots
from idsync.store.db import create_store_engine, migrate, safe_url
from idsync.store.records import RunDetail, RunSummary


class Store:
    """Links, run history and profile locks in one SQLite file or one PostgreSQL database."""

    def __init__(self, engine: Engine, *, stale_lock_after: timedelta = locks.DEFAULT_STALE_AFTER) -> None:
        self.engine = engine
        self.stale_lock_after = stale_lock_after

    @classmethod
    def open(cls, url: str, *, stale_lock_after: timedelta = locks.DEFAULT_STALE_AFTER) -> Store:
        """Open (creating if needed) the database at `url` and migrate it to the newest schema.

        `url` is `sqlite:///path` or `postgresql+psycopg://user:pw@host/db`; a bad URL or an
        unreachable database raises ConfigError naming the (password-masked) URL.
        `stale_lock_after` is how old a SQLite lock's heartbeat may get before it is taken over.
        """
        engine = create_store_engine(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, stale_lock_after=stale_lock_after)

    def __repr__(self) -> str:
        """The URL with its password masked."""
        return f"Store({safe_url(self.engine.url)!r})"

    def __enter__(self) -> Store:
        """Use as a context manager that closes the store on exit."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Close the store."""
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    # --- links ------------------------------------------------------------------------------------

    def links(self, profile: str, target: str) -> dict[str, Link]:
        """Every link of one profile and target, keyed by source id."""
        return links.load_links(self.engine, profile, target)

    def save_links(self, profile: str, target: str, upserts: Iterable[Link], removals: Iterable[str]) -> None:
        """Upsert links and delete those of `removals` (source ids) in one transaction."""
        links.save_links(self.engine, profile, target, upserts, removals)

    def customer_links(self, profile: str, key: str) -> dict[str, CustomerLink]:
        """The service-desk customer links of one profile (`key`: engine.customers.links_key)."""
        return customers.load_customer_links(self.engine, profile, key)

    def save_customer_links(
        self, profile: str, key: str, upserts: Iterable[CustomerLink], removals: Iterable[str]
    ) -> None:
        """Upsert customer links and delete those of `removals` (source ids) in one transaction."""
        customers.save_customer_links(self.engine, profile, key, upserts, removals)

    # --- Okta group-membership cache ------------------------------------------------------------

    def group_members_cache(self, connection: str) -> dict[str, CachedGroup]:
        """The cached member ids of source connection `connection`'s groups, keyed by group id."""
        return group_cache.load_group_members(self.engine, connection)

    def membership_cache(self, connection: str) -> group_cache.StoreMembershipCache:
        """The cache as an Okta source takes it (`OktaSource.use_cache`)."""
        return group_cache.StoreMembershipCache(self.engine, connection)

    def save_group_members_cache(
        self, connection: str, entries: Iterable[CachedGroup], keep: set[str]
    ) -> None:
        """Write `entries` and drop cached groups not in `keep`, in one transaction."""
        group_cache.save_group_members(self.engine, connection, entries, keep)

    # --- incremental reads: source snapshots and absent people ------------------------------------

    def source_snapshot(self, connection: str) -> snapshots.StoredSnapshot | None:
        """The last snapshot of source connection `connection` and its cursor (None: none stored)."""
        return snapshots.load_snapshot(self.engine, connection)

    def source_snapshot_cursor(self, connection: str) -> str | None:
        """The cursor of the last snapshot of `connection` alone (None: none stored)."""
        return snapshots.load_cursor(self.engine, connection)

    def save_source_snapshot(
        self, connection: str, cursor: str, snapshot: snapshots.EncodedSnapshot | None, *,
        expected: str | None, read_at: datetime,
    ) -> bool:
        """Store the encoded snapshot (None: only the cursor moves) if the stored cursor is still
        `expected`."""
        return snapshots.save_snapshot(self.engine, connection, cursor, snapshot, expected=expected,
                                       read_at=read_at)

    def drop_source_snapshot(self, connection: str) -> None:
        """Forget the stored snapshot: the next read of the connection is a full one."""
        snapshots.drop_snapshot(self.engine, connection)

    def absences(self, profile: str, target: str) -> dict[str, str]:
        """People the target did not have when last asked: source id → their fingerprint then."""
        return absences.load_absences(self.engine, profile, target)

    def save_absences(
        self, profile: str, target: str, found_absent: Mapping[str, str], forget: Iterable[str],
        checked_at: datetime, *, replace_all: bool = False,
    ) -> None:
        """Record people found absent and forget others (`replace_all`: forget everyone else too)."""
        absences.save_absences(self.engine, profile, target, found_absent, forget, checked_at,
                               replace_all=replace_all)

    def group_digests(self, profile: str, target: str) -> dict[str, str]:
        """Managed groups a run left exactly as wanted: name → digest of the wanted members then."""
        return absences.load_group_digests(self.engine, profile, target)

    def save_group_digests(
        self, profile: str, target: str, digests: Mapping[str, str], forget: Iterable[str],
        *, replace_all: bool = False,
    ) -> None:
        """Record group digests and drop `forget` (`replace_all`: drop every other record too)."""
        absences.save_group_digests(self.engine, profile, target, digests, forget, replace_all=replace_all)

    # --- history ----------------------------------------------------------------------------------

    def start_run(
        self, profile: str, trigger: str, *, dry_run: bool = False, undo_of: str | None = None
    ) -> str:
        """Record the start of a run (`undo_of`: the run an undo reverses); returns its short,
        time-sortable id."""
        return history.start_run(self.engine, profile, trigger, dry_run=dry_run, undo_of=undo_of)

    def finish_run(
        self,
        run_id: str,
        *,
        status: str,
        plan: Plan | None,
        results: Sequence[ItemResult],
        timings: Mapping[str, float],
        error: str | None = None,
        recorded: Collection[int] | None = None,
    ) -> None:
        """Record how a run ended with every item and its outcome (see `history.finish_run`)."""
        history.finish_run(
            self.engine, run_id, status=status, plan=plan, results=results, timings=timings, error=error,
            recorded=recorded,
        )

    def begin_apply(self, run_id: str, plan: Plan) -> None:
        """Record a run's plan and items before its first write (see `history.begin_apply`)."""
        history.begin_apply(self.engine, run_id, plan)

    def record_outcomes(self, run_id: str, results: Sequence[ItemResult]) -> None:
        """Write outcomes of a run in progress as they happen."""
        history.record_outcomes(self.engine, run_id, results)

    def unfinished_runs(self, profile: str) -> list[str]:
        """Runs a killed process left "running" (call only while holding the profile lock)."""
        return journal.unfinished_runs(self.engine, profile)

    def run_journal(self, run_id: str) -> journal.Journal:
        """An unfinished run's items and recorded outcomes."""
        return journal.load_journal(self.engine, run_id)

    def close_interrupted(self, record: journal.Journal, resolved: Sequence[ItemResult], why: str) -> None:
        """End an unfinished run as interrupted, with what recovery found out."""
        journal.close_interrupted(self.engine, record, resolved, why)

    def runs(self, profile: str | None = None, limit: int = 20) -> list[RunSummary]:
        """The most recent runs, newest first."""
        return history.list_runs(self.engine, profile, limit)

    def run(self, run_id: str) -> RunDetail:
        """One run with its items; raises RunNotFound (a KeyError) for an unknown id."""
        return history.get_run(self.engine, run_id)

    def last_source_users(self, profile: str) -> int | None:
        """Source user count of the profile's last completed non-dry run."""
        return history.last_source_users(self.engine, profile)

    # --- locks ------------------------------------------------------------------------------------

    @contextmanager
    def profile_lock(self, profile: str, holder: str) -> Iterator[None]:
        """Hold the one-run-per-profile lock; raises RunInProgress naming the holder and since when."""
        with locks.profile_lock(self.engine, profile, holder, stale_after=self.stale_lock_after):
            yield
