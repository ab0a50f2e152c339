"""What a run records in the store besides its history: links, people found absent, managed groups'
digests and service-desk customer links — before apply (what the diff learnt without writing) and
after it (what the outcomes changed).

Order matters: the diff's own bookkeeping (a link that needs no write gets its new fingerprint, a link
to a user gone from the target is dropped) is saved before the first write, and apply's link updates
start from it, so they never overwrite it with the rows read before the diff. Each function runs in a
worker thread (the engine's `asyncio.to_thread`): at 150,000 people these are many rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from idsync.domain.plan import ItemResult
from idsync.engine.customers import links_after, links_key
from idsync.engine.group_digests import after_apply
from idsync.engine.links import updated_links
from idsync.engine.run_records import Prepared
from idsync.store import Store


def save_before_apply(store: Store, name: str, prepared: Prepared, checked_at: datetime) -> None:
    """The links the diff found to need no write or to point nowhere, and the absence records."""
    for target_name, (found, gone) in prepared.bookkeeping.items():
        if found or gone:
            store.save_links(name, target_name, found, gone)
    for target_name, absence in prepared.absences.items():
        if not absence.empty:
            store.save_absences(name, target_name, absence.record, absence.forget, checked_at,
                                replace_all=absence.replace_all)


def save_links_after_apply(
    store: Store, name: str, prepared: Prepared, results: Sequence[ItemResult]
) -> None:
    """Each queried target's links as the outcomes left them (idsync.engine.links.updated_links)."""
    plan = prepared.plan
    for target_name in plan.queries:
        # Start from the links as the diff's bookkeeping left them (saved before apply), so apply's
        # updates never overwrite that bookkeeping with the rows read before the diff.
        found, gone = prepared.bookkeeping.get(target_name, ((), ()))
        before = {**prepared.links.get(target_name, {}), **{link.source_id: link for link in found}}
        for source_id in gone:
            before.pop(source_id, None)
        upserts, removals = updated_links(plan.items, results, before, target_name)
        store.save_links(name, target_name, upserts, removals)


def save_customer_links(
    store: Store, name: str, prepared: Prepared, results: Sequence[ItemResult], *, applied: bool
) -> None:
    """The service-desk customer links after the run (`applied`: after apply, with its outcomes)."""
    run = prepared.customers
    if run is None:
        return
    upserts, deletes = links_after(run, prepared.plan, results, applied)
    if upserts or deletes:
        store.save_customer_links(name, links_key(run.connection), upserts, deletes)


def save_digests(store: Store, prepared: Prepared, results: Sequence[ItemResult]) -> None:
    """Group digest records after a run (idsync.engine.group_digests); a saved plan's groups with
    items lose theirs (it was not planned from the rules now)."""
    plan = prepared.plan
    for target_name in plan.queries:
        if target_name in prepared.digests:
            wanted, recorded = prepared.digests[target_name]
            update = after_apply(target_name, wanted, recorded, plan.items, results,
                                 full_read=prepared.full_read)
            if update.record or update.forget or update.replace_all:
                store.save_group_digests(plan.profile, target_name, update.record, update.forget,
                                         replace_all=update.replace_all)
        else:
            touched = {i.group for i in plan.items if i.target == target_name and i.group is not None}
            if touched:
                store.save_group_digests(plan.profile, target_name, {}, touched)
