"""Apply: execute a plan's items against their targets, in phase order, and record each outcome.

Order: phases follow `Action` (groups before memberships, lead handover before deactivation); the
items of one phase run concurrently up to the target's `max_concurrency`; targets run in parallel.

Policy by error type, so one bad item never stops the others:

    BadRequestError, NotFoundError, ConflictError → FAILED with the message, go on
    TransientError                                → already retried by idsync.http where that is
                                                    safe; a write whose outcome is unknown (a POST
                                                    that got a 5xx or lost its connection) is judged
                                                    by reading the target (engine.resolve) and done
                                                    again only if it did not happen; else FAILED
    StopSyncError                                 → FAILED, and that target halts: its remaining
                                                    items are SKIPPED with the reason
    any other exception                           → FAILED with its type and message, go on

Dependencies: a user whose create_user, rename_user or link_user failed gets no further items
(SKIPPED); a group whose create_group failed gets no add_member items; a person whose
create_customer failed gets no add_customer items.

Batches: a target that changes several objects in one request (`BatchingTarget`, e.g. Bitbucket adding
many users to one group) gets the items of a phase that share its batch key together, up to its
`max_batch`; every item still gets its own outcome. Dry run is not apply's
business: a dry run simply never calls it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from idsync.domain.errors import ConnectorError, StopSyncError, TransientError
from idsync.domain.plan import Action, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.progress import NO_PROGRESS, Progress, ProgressTask
from idsync.engine.resolve import RESOLVABLE, Judge, query_for
from idsync.http import retry_counter
from idsync.targets.base import BatchingTarget, Target

USER_GATES = frozenset({Action.CREATE_USER, Action.RENAME_USER, Action.LINK_USER})
"""When one of these fails, the user's later items cannot be right: they are skipped."""


_UNKNOWN_OUTCOME_TRIES = 6
"""Writes per item when each fails with its outcome unknown and the target shows it did not happen:
as many as idsync.http gives an idempotent request by default (1 + 5 retries)."""

STOPPED = "not started: idsync was stopping (the next run does it)"
_KEYED = frozenset({Action.CREATE_USER, Action.LINK_USER, Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER,
                    Action.REMOVE_CUSTOMER})
"""Items whose result records the key the target returned: a created or linked user's key, the
account a service-desk customer item concerned (a Cloud accountId is only learnt by the write)."""


async def apply_plan(
    plan: Plan,
    targets: Mapping[str, Target],
    progress: Progress,
    *,
    held: Mapping[str, str] | None = None,
    stop: asyncio.Event | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Execute every item of `plan`; returns one ItemResult per item, `index` = position in plan.items.
    The items of targets in `held` (target → why, e.g. a guard's refusal) are SKIPPED with that reason.
    Once `stop` is set no further item starts: the items in flight finish and are recorded, the rest
    are SKIPPED as not started. `on_result` is told each outcome as it happens (history's journal)."""
    held = held or {}
    results: list[ItemResult | None] = [None] * len(plan.items)
    tell = on_result or _ignore
    bar = progress.task("applying", total=len(plan.items))
    # positions, not (position, item) pairs: a pair per item held ~85 MB through a large apply
    by_target: dict[str, list[int]] = {}
    for index in plan.application_order():
        by_target.setdefault(plan.items[index].target, []).append(index)
    runs = []
    for name, positions in by_target.items():
        target = targets.get(name)
        if name in held:
            for index in positions:
                results[index] = skipped = ItemResult(index, Outcome.SKIPPED, error=held[name], attempts=0)
                tell(skipped)
                bar.advance()
            continue
        if target is None:
            known = ", ".join(sorted(targets)) or "none"
            for index in positions:
                results[index] = failed = ItemResult(
                    index, Outcome.FAILED, error=f"no target connection named {name!r} (known: {known})"
                )
                tell(failed)
                bar.advance()
            continue
        runs.append(_TargetRun(target, plan.items, results, bar, stop, tell).run(positions))
    await asyncio.gather(*runs)
    missing = [i for i, r in enumerate(results) if r is None]
    if missing:  # pragma: no cover - every path above records a result
        raise AssertionError(f"apply left items without an outcome: {missing[:10]}")
    return [r for r in results if r is not None]


def _ignore(result: ItemResult) -> None:
    """No one to tell."""


def _batches(target: BatchingTarget, items: list[tuple[int, PlanItem]]) -> list[list[tuple[int, PlanItem]]]:
    """A batching target's phase as units of work: the items with the same batch key form batches of
    up to its `max_batch` (in plan order); an item without a batch key is a unit of its own."""
    units: list[list[tuple[int, PlanItem]]] = []
    open_batches: dict[object, list[tuple[int, PlanItem]]] = {}
    for pair in items:
        key = target.batch_key(pair[1])
        if key is None:
            units.append([pair])
            continue
        batch = open_batches.get(key)
        if batch is None or len(batch) >= target.max_batch:
            batch = open_batches[key] = []
            units.append(batch)
        batch.append(pair)
    return units


def _user_ids(item: PlanItem) -> set[str]:
    """Every name the item's user goes by, so a failure under one name gates items using another."""
    ids: set[str] = set()
    if item.source_id:
        ids.add(f"source:{item.source_id}")
    if item.user_key:
        ids.add(f"key:{item.user_key}")
    if item.user and item.action is not Action.HAND_OVER_LEAD:
        ids.add(f"name:{item.user.lower()}")
    return ids


@dataclass
class _TargetRun:
    """Applies one target's items; holds what failed so far and whether the target halted."""

    target: Target
    items: Sequence[PlanItem]
    """The plan's items; the run applies those at the positions it is given."""
    results: list[ItemResult | None]
    bar: ProgressTask
    stop: asyncio.Event | None = None
    tell: Callable[[ItemResult], None] = _ignore
    halted: str | None = None
    failed_users: dict[str, str] = field(default_factory=dict)
    """User id (see _user_ids) → "create_user of jdoe" (the gate that failed)."""
    failed_groups: dict[str, str] = field(default_factory=dict)
    failed_adds: dict[str, str] = field(default_factory=dict)
    """Group → the first failed ADD_MEMBER into it (a group it replaces is then not deleted)."""
    failed_customers: dict[str, str] = field(default_factory=dict)
    """Source id → its failed CREATE_CUSTOMER: its ADD_CUSTOMER items would add nobody."""

    async def run(self, positions: list[int]) -> None:
        """Apply phase after phase; `positions` are in application order (phase, then position)."""
        items = self.items
        for _, phase in groupby(positions, key=lambda index: items[index].action.phase):
            await self._phase(list(phase))

    async def _phase(self, positions: list[int]) -> None:
        items = self.items
        queue: Iterator[Sequence[tuple[int, PlanItem]]]
        if isinstance(self.target, BatchingTarget):
            units = _batches(self.target, [(index, items[index]) for index in positions])
            queue, count = iter(units), len(units)
        else:
            # one unit per item, made as a worker takes it: a list of a million one-item units cost
            # ~85 MB for the whole apply of a large initial sync
            queue, count = (((index, items[index]),) for index in positions), len(positions)
        workers = max(1, min(self.target.max_concurrency, count))
        await asyncio.gather(*(self._worker(queue) for _ in range(workers)))

    async def _worker(self, queue: Iterator[Sequence[tuple[int, PlanItem]]]) -> None:
        # the workers share one iterator: each takes the next unit (an item or a batch) when it is free
        for unit in queue:
            if self.stop is not None and self.stop.is_set():
                for index, _ in unit:
                    self._record(ItemResult(index, Outcome.SKIPPED, error=STOPPED, attempts=0))
                continue
            if len(unit) == 1:
                self._record(await self._one(*unit[0]))
            else:
                for result in await self._many(unit):
                    self._record(result)

    async def _many(self, unit: Sequence[tuple[int, PlanItem]]) -> list[ItemResult]:
        """One batch request for the items of `unit` that are not blocked; an outcome for each."""
        results: list[ItemResult] = []
        ready: list[tuple[int, PlanItem]] = []
        for index, item in unit:
            blocked = self._blocked(item)
            if blocked is None:
                ready.append((index, item))
            else:
                results.append(ItemResult(index, Outcome.SKIPPED, error=blocked, attempts=0))
        if not ready:
            return results
        assert isinstance(self.target, BatchingTarget)
        retries = [0]
        token = retry_counter.set(retries)
        started = time.perf_counter()
        outcomes: list[str | Exception | None]
        try:
            outcomes = await self.target.execute_batch([item for _, item in ready])
        except Exception as exc:  # the request as a whole failed: so did each of its items
            outcomes = [exc] * len(ready)
        finally:
            retry_counter.reset(token)
        elapsed = (time.perf_counter() - started) * 1000.0 / len(ready)
        for (index, item), outcome in zip(ready, outcomes, strict=True):
            if isinstance(outcome, Exception):
                if isinstance(outcome, StopSyncError) and self.halted is None:
                    self.halted = f"halted after {item.action} of {item.subject} failed: {outcome}"
                message = str(outcome) if isinstance(outcome, ConnectorError) else \
                    f"{type(outcome).__name__}: {outcome}"
                results.append(self._failed(index, item, message, retries[0], started))
                continue
            results.append(ItemResult(index, Outcome.APPLIED, attempts=1 + retries[0], duration_ms=elapsed))
        return results

    async def _one(self, index: int, item: PlanItem) -> ItemResult:
        blocked = self._blocked(item)
        if blocked is not None:
            return ItemResult(index, Outcome.SKIPPED, error=blocked, attempts=0)
        retries = [0]
        token = retry_counter.set(retries)
        started = time.perf_counter()
        try:
            key = await self._execute(item, retries)
        except StopSyncError as exc:
            self.halted = f"halted after {item.action} of {item.subject} failed: {exc}"
            return self._failed(index, item, str(exc), retries[0], started)
        except ConnectorError as exc:
            return self._failed(index, item, str(exc), retries[0], started)
        except Exception as exc:  # an unexpected bug must cost one item, not the run
            return self._failed(index, item, f"{type(exc).__name__}: {exc}", retries[0], started)
        finally:
            retry_counter.reset(token)
        return ItemResult(
            index,
            Outcome.APPLIED,
            target_key=key if item.action in _KEYED else None,
            attempts=1 + retries[0],
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

    async def _execute(self, item: PlanItem, retries: list[int]) -> str | None:
        """The item's write; when it fails with its outcome unknown (a 5xx, a timeout, a dropped
        connection after the request went out), the target is read to see whether it happened, and
        the write is repeated only if it did not. Never a blind repeat of a POST."""
        for attempt in range(1, _UNKNOWN_OUTCOME_TRIES + 1):
            try:
                return await self.target.execute(item)
            except TransientError as exc:
                last = attempt == _UNKNOWN_OUTCOME_TRIES
                if item.action not in RESOLVABLE or not exc.outcome_unknown or last:
                    raise
                state = await self.target.read_state(query_for([item]), NO_PROGRESS)
                verdict = Judge(state, self.target.capabilities).happened(item)
                if verdict.done is None:
                    raise
                if verdict.done:
                    return verdict.key
                retries[0] += 1  # it did not happen: do it again
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _blocked(self, item: PlanItem) -> str | None:
        if self.halted is not None:
            return self.halted
        if not (self.failed_users or self.failed_groups or self.failed_adds or self.failed_customers):
            return None  # nothing failed yet (the usual case): no ids to build and look up per item
        for user_id in _user_ids(item):
            gate = self.failed_users.get(user_id)
            if gate is not None:
                return f"depends on failed {gate}"
        if item.action is Action.ADD_MEMBER and item.group is not None:
            gate = self.failed_groups.get(item.group)
            if gate is not None:
                return f"depends on failed {gate}"
        if item.action is Action.ADD_CUSTOMER and item.source_id is not None:
            gate = self.failed_customers.get(item.source_id)
            if gate is not None:
                return f"depends on failed {gate}"
        if item.action is Action.DELETE_GROUP:
            # The group is replaced by one under its new name: deleted only once every member is there.
            replacement = next((str(c.new) for c in item.changes if c.field == "name"), None)
            gate = self.failed_groups.get(replacement) or self.failed_adds.get(replacement) \
                if replacement else None
            if gate is not None:
                return f"depends on failed {gate}"
        return None

    def _failed(self, index: int, item: PlanItem, error: str, retries: int, started: float) -> ItemResult:
        if item.action in USER_GATES:
            for user_id in _user_ids(item):
                self.failed_users.setdefault(user_id, f"{item.action} of {item.subject}")
        if item.action in (Action.CREATE_GROUP, Action.RENAME_GROUP) and item.group is not None:
            self.failed_groups.setdefault(item.group, f"{item.action} of {item.group}")
        if item.action is Action.ADD_MEMBER and item.group is not None:
            self.failed_adds.setdefault(item.group, f"{item.action} of {item.subject}")
        if item.action is Action.CREATE_CUSTOMER and item.source_id is not None:
            self.failed_customers.setdefault(item.source_id, f"{item.action} of {item.subject}")
        return ItemResult(
            index,
            Outcome.FAILED,
            error=error,
            attempts=1 + retries,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _record(self, result: ItemResult) -> None:
        self.results[result.index] = result
        self.tell(result)
        self.bar.advance()
