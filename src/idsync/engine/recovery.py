"""Recovery: finish the bookkeeping of a run that was killed during apply, before the next run plans.

A killed run wrote its items before the first write and each outcome as it happened (idsync.engine.
journal), but not the links of the users it created, which a run writes at its end. Without them the
next run would find those users in the target, unlinked, and (with `users.match_existing_by: none`)
refuse to claim them: idsync would have lost track of what it made itself. So, under the profile's
lock, before a new run reads anything:

1. every item the dead run left without an outcome is judged by reading the target
   (idsync.engine.resolve): a user it was creating that exists now is idsync's own — it was that
   run's intent — and is linked, whatever `match_existing_by` says; a membership in place was added;
2. the links are brought up to date from all the run's outcomes, exactly as the run would have at
   its end (idsync.engine.links.updated_links);
3. the run is closed as interrupted, with its counts, its history listing every write that reached
   the target.

A POST whose outcome is unknown is thus never repeated blindly: the next run's diff starts from the
target as it is.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping

from idsync.domain.plan import Action, ItemResult, Outcome
from idsync.domain.progress import NO_PROGRESS
from idsync.engine.links import updated_links
from idsync.engine.resolve import Judge, query_for
from idsync.store import Store
from idsync.store.journal import Journal
from idsync.targets.base import Target

NOT_STARTED = "not started: the run was interrupted (its process ended); the next run does it"
UNKNOWN = ("interrupted: its outcome was not recorded and a read of the target cannot show it; the next "
           "run checks")


async def recover(store: Store, profile: str, targets: Mapping[str, Target]) -> list[str]:
    """Resolve and close every run of `profile` a dead process left "running"; returns their ids.
    Call only while holding the profile lock. Raises the ConnectorError of a target that cannot be
    read (the run stays open, so a later start tries again: nothing is guessed)."""
    run_ids = await asyncio.to_thread(store.unfinished_runs, profile)
    for run_id in run_ids:
        journal = await asyncio.to_thread(store.run_journal, run_id)
        resolved = await _resolve(journal, targets)
        await _save_links(store, profile, journal, resolved)
        await asyncio.to_thread(store.close_interrupted, journal, resolved, _why(journal, resolved))
    return run_ids


async def _resolve(journal: Journal, targets: Mapping[str, Target]) -> list[ItemResult]:
    """An outcome for every open item, from what the target shows now."""
    by_target: dict[str, list[int]] = {}
    for index, item in journal.open_items:
        by_target.setdefault(item.target, []).append(index)
    resolved: list[ItemResult] = []
    for name, indices in by_target.items():
        items = [journal.items[index] for index in indices]
        target = targets.get(name)
        if target is None:
            why = f"interrupted: target {name!r} is no longer configured, its outcome cannot be checked"
            resolved += [ItemResult(index, Outcome.SKIPPED, error=why, attempts=0) for index in indices]
            continue
        judge = Judge(await target.read_state(query_for(items), NO_PROGRESS), target.capabilities)
        for index, item in zip(indices, items, strict=True):
            verdict = judge.happened(item)
            if verdict.done:
                key = verdict.key if item.action is Action.CREATE_USER else None
                resolved.append(ItemResult(index, Outcome.APPLIED, target_key=key,
                                           error="applied, found by recovery after the run was interrupted"))
            else:
                why = NOT_STARTED if verdict.done is False else UNKNOWN
                resolved.append(ItemResult(index, Outcome.SKIPPED, error=why, attempts=0))
    return resolved


async def _save_links(store: Store, profile: str, journal: Journal, resolved: list[ItemResult]) -> None:
    results = [*journal.outcomes.values(), *resolved]
    for target in sorted({item.target for item in journal.items}):
        before = await asyncio.to_thread(store.links, profile, target)
        linked_keys = {link.target_key: sid for sid, link in before.items()}
        # A user found under the name being created who is already someone else's stays theirs.
        mine = [r for r in results if r.target_key is None or linked_keys.get(r.target_key) in (
            None, journal.items[r.index].source_id)]
        upserts, removals = updated_links(journal.items, mine, before, target)
        if upserts or removals:
            await asyncio.to_thread(store.save_links, profile, target, upserts, removals)


def _why(journal: Journal, resolved: list[ItemResult]) -> str:
    if not journal.items:
        return "interrupted: the process running it ended before apply began; nothing was written"
    outcomes = Counter(r.outcome for r in [*journal.outcomes.values(), *resolved])
    found = sum(1 for r in resolved if r.outcome is Outcome.APPLIED)
    return (f"interrupted: the process running it ended during apply; {outcomes[Outcome.APPLIED]} of "
            f"{len(journal.items)} items were applied ({found} of them found in the target by recovery "
            "at the next start), the rest are done by the next run")
