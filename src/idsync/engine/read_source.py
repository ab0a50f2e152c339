"""The source read of a run: incremental where the source can and the stored snapshot allows.

A source that offers `read_changes` (idsync.sources.changes) is asked for what changed since the
cursor stored with its last snapshot; the changes are merged onto that snapshot, so the rules, the
diff and the guards see the whole source as a full read would. The read is full when there is no
stored snapshot, when the connection's settings changed since it was stored (another base DN, filter
or app: the stored picture is of something else), when the source itself decides it is due
(`full_read_every_hours`), and when asked (`idsync sync --full-read`). Other sources are always read in
full.

The merged snapshot is stored whatever the run then does (it describes the source): encoded here (at
150,000 people ~0.6 s of CPU, ~0.3 s when the merge kept most groups as stored: their rows are reused),
then written in a thread while the run plans
(`SourceRead.saving`); the run awaits the write before it applies anything or ends. A failed read raises
before anything is stored, so the stored snapshot and cursor stay as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from idsync.domain.progress import Progress
from idsync.domain.records import Snapshot
from idsync.sources.base import Source
from idsync.sources.changes import Changes, IncrementalSource, merge
from idsync.store import Store
from idsync.store.snapshots import EncodedSnapshot


class SourceRead(NamedTuple):
    """What `read_source` gives the run."""

    snapshot: Snapshot
    full: bool
    """Whether this read was a full one."""
    previous: Snapshot | None = None
    """The stored snapshot the changes were merged onto, when the read was incremental and changed
    something: what the previous run planned from (idsync.engine.written_state)."""
    timings: Mapping[str, float] = {}
    """Seconds spent asking the source (`source`), merging the snapshot (`snapshot`) and encoding it for
    the store (`encode`)."""
    saving: asyncio.Future[bool] | None = None
    """The merged snapshot, encoded, being written in a thread while the run plans: the run awaits it
    before it ends (before it applies anything), and its failure fails the run."""


async def read_source(
    store: Store, source: Source, settings_mark: str, progress: Progress, *, full: bool = False
) -> SourceRead:
    """The source as it is now, whether this read was a full one, and the snapshot it started from."""
    if not isinstance(source, IncrementalSource):
        return SourceRead(await source.read(progress), True)
    connection = source.name
    stored_cursor = await asyncio.to_thread(store.source_snapshot_cursor, connection)
    mark, _, since = stored_cursor.partition("|") if stored_cursor is not None else ("", "", "")
    usable = stored_cursor is not None and not full and mark == settings_mark
    # the stored snapshot is decoded while the source answers: at 150,000 people that takes seconds
    loading = asyncio.ensure_future(asyncio.to_thread(store.source_snapshot, connection)) if usable else None
    clock = time.perf_counter()
    try:
        changes: Any = await source.read_changes(since if usable else "", progress)
    except BaseException:
        if loading is not None:  # let the load finish; the read's error is the one to report
            with contextlib.suppress(Exception):
                await loading
        raise
    asked = time.perf_counter() - clock
    stored = await loading if loading is not None else None
    if usable and stored is None:
        # dropped while the source was read (`idsync sync --full-read` elsewhere): nothing to merge onto
        usable = False
        changes = await source.read_changes("", progress)
    clock = time.perf_counter()
    # (a snapshot saved meanwhile by another profile on this connection is newer than the cursor the
    # changes start from, so merging them onto it is still right; the save below is then skipped)
    if not isinstance(changes, Changes):
        # LDAP's ChangeSet: the same fields, and no deletions (LDAP reports none)
        changes = Changes(changes.cursor, changes.users, changes.groups, changes.full)
    read_at = datetime.now(UTC)
    snapshot = merge(stored.snapshot if stored is not None and usable else None, changes, read_at)
    cursor = f"{settings_mark}|{changes.cursor}"
    unchanged = (
        changes.full is None and stored is not None
        and all(stored.snapshot.users.get(uid) == user for uid, user in changes.users.items())
        and (changes.groups is None or snapshot.groups == stored.snapshot.groups)
    )
    # Encoded here, before the rules run, and only the encoded blob goes to the background save: a save
    # that encoded the snapshot itself kept all of it alive while the run planned, and its encoding,
    # sharing the interpreter with the rules, took seconds where alone it takes ~0.6 s (150,000 people).
    merged, clock = time.perf_counter() - clock, time.perf_counter()
    # the stored blob's group rows: those of the groups the merge kept as they were are not written anew
    rows = stored.rows if stored is not None and usable else None
    encoded = None if unchanged else await asyncio.to_thread(EncodedSnapshot.of, snapshot, rows)
    del rows
    saving = asyncio.ensure_future(asyncio.to_thread(functools.partial(
        store.save_source_snapshot, connection, cursor, encoded, expected=stored_cursor, read_at=read_at,
    )))
    previous = stored.snapshot if stored is not None and usable and not unchanged and changes.full is None \
        else None
    timings = {"source": asked, "snapshot": merged, "encode": time.perf_counter() - clock}
    return SourceRead(snapshot, changes.full is not None, previous, timings, saving)
