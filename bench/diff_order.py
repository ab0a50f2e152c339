"""The cost of putting a plan's items in order: `idsync.engine.diff.in_order` against one sort by a
(phase, subject, group, user, lead, source id) key per item, which it replaced.

    uv run python bench/diff_order.py --users 150000 --groups 5000 --per-group 180

The items are those of an initial sync's shape: one CREATE_USER per person and ADD_MEMBER items
planned group by group (as the diff plans them). Prints the seconds and the peak of Python's own
allocations (tracemalloc, measured on a second run, so the timing is not slowed by it) of each way,
and whether both give the same order.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable, Sequence

from idsync.domain.plan import Action, PlanItem
from idsync.domain.records import Reason
from idsync.engine.diff import in_order


def by_subject_key(items: list[PlanItem]) -> Sequence[PlanItem]:
    """The order as the diff computed it before: one key tuple and subject string per item."""
    return sorted(items, key=lambda i: (
        i.action.phase, i.subject, i.group or "", i.user or "", i.lead.id if i.lead else "", i.source_id or ""
    ))


def make_items(users: int, groups: int, per_group: int, seed: int) -> list[PlanItem]:
    """An initial sync's items in the order the diff appends them."""
    rng = random.Random(seed)
    reason = Reason("bench", "bench")
    names = [f"user{n:06d}" for n in range(users)]
    items = [PlanItem(Action.CREATE_USER, "jira", reason, user=u, source_id=f"00u{u}") for u in names]
    for g in range(groups):
        group = f"group-{g:05d}"
        for user in sorted(rng.sample(names, min(per_group, users))):
            items.append(PlanItem(Action.ADD_MEMBER, "jira", reason, user=user, group=group,
                                  source_id=f"00u{user}"))
    return items


def measure(
    name: str, order: Callable[[list[PlanItem]], Sequence[PlanItem]], items: list[PlanItem]
) -> list[int]:
    """Seconds, then the allocation peak, of one way; returns the order as item ids."""
    started = time.perf_counter()
    result = order(list(items))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    order(list(items))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  {name:<16} {seconds:6.2f} s   peak allocations {peak / 2**20:7.1f} MiB")
    return [id(i) for i in result]


def main() -> None:
    """Build the items, order them both ways, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=150_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--per-group", type=int, default=180, help="members added to each group")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    items = make_items(args.users, args.groups, args.per_group, args.seed)
    print(f"{len(items):,} items")
    old = measure("by subject key", by_subject_key, items)
    new = measure("in_order", in_order, items)
    print(f"  same order: {old == new}")


if __name__ == "__main__":
    main()
