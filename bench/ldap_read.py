"""Full-read and plan time, and peak memory, of the LDAP source against a real slapd.

    uv run python bench/ldap_read.py --users 50000 --groups 1000 --members 50 --page-size 1000

Starts a throwaway slapd (tests/fixtures/slapd.py: slapadd of generated LDIF), then reads it with
LdapSource: first timed without tracing, then once more under tracemalloc for the peak Python
allocation; then plans a first run from the snapshot (rules → state query → diff against a Jira
that has none of these users yet: every user and membership becomes an item). Prints the load time,
read time per run, entries per second, the snapshot's counts, the plan time and size, peak traced
memory and the process's max RSS. slapd runs in its own process, so its CPU time is not
in ours, but it shares the machine's cores.

Reads and plans are each run `--runs` times and the best is the figure (the median is printed too):
on a shared 2-core machine other work stretches single runs. Next to the wall-clock time each shows
this process's CPU time, which other work on the machine hardly moves.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.slapd import ADMIN_DN, ADMIN_PW, BASE, bench_ldif, start_slapd

from idsync.config.connections import LdapConnection
from idsync.config.profiles import Profile
from idsync.domain.records import Capabilities, Snapshot, TargetState
from idsync.engine.diff import diff, state_query
from idsync.rules.desired import desired_state
from idsync.sources.ldap import LdapSource

PROFILE = Profile.model_validate(
    {
        "source": "ldap",
        "targets": ["jira"],
        "users": {"username": {"attribute": "login"}, "active_statuses": ["ACTIVE"]},
        "groups": {"mode": "on_the_fly", "default_groups": {"new_users": ["jira-software-users"]}},
    }
)


def plan_once(snapshot: Snapshot) -> tuple[float, float, int]:
    """Rules + state query + diff of a first run (the target has nobody yet); (seconds, CPU seconds,
    items)."""
    start, cpu = time.perf_counter(), time.process_time()
    desired = desired_state(snapshot, PROFILE)
    capabilities = Capabilities(user_properties=True, leads=True)
    query = state_query(desired, {}, PROFILE, capabilities)
    empty = TargetState("jira", users={}, groups=dict.fromkeys(query.groups))
    result = diff(desired, empty, {}, PROFILE, capabilities)
    return time.perf_counter() - start, time.process_time() - cpu, len(result.items)


async def read_once(conn: LdapConnection) -> tuple[float, float, Snapshot]:
    """One full read on a fresh connection; (seconds, CPU seconds of this process, snapshot)."""
    source = LdapSource("bench", conn)
    start, cpu = time.perf_counter(), time.process_time()
    try:
        snapshot = await source.read()
    finally:
        await source.aclose()
    return time.perf_counter() - start, time.process_time() - cpu, snapshot


def main() -> None:
    """Parse arguments, start slapd, measure, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=50, help="members per group")
    parser.add_argument("--page-size", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    ldif = bench_ldif(args.users, args.groups, args.members)
    start = time.perf_counter()
    server = start_slapd(ldif)
    load = time.perf_counter() - start
    try:
        conn = LdapConnection.model_validate(
            {
                "type": "ldap",
                "url": server.url,
                "bind_dn": ADMIN_DN,
                "password": ADMIN_PW,
                "flavor": "openldap",
                "user_base": f"ou=people,{BASE}",
                "group_base": f"ou=groups,{BASE}",
                "page_size": args.page_size,
                "timeout": 120,
            }
        )
        times: list[tuple[float, float]] = []
        for _ in range(args.runs):
            seconds, cpu, snapshot = asyncio.run(read_once(conn))
            times.append((seconds, cpu))
            del snapshot
        tracemalloc.start()
        _, _, snapshot = asyncio.run(read_once(conn))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        plans = [plan_once(snapshot) for _ in range(args.runs)]
    finally:
        server.stop()
    entries = args.users + args.groups
    memberships = sum(len(g.member_ids) for g in snapshot.groups.values())
    best, best_cpu = min(times)
    plan_best, plan_cpu, plan_items = min(plans)
    print(f"slapd: slapadd {entries:,} entries + start + ready: {load:.2f} s")
    print(
        f"read: {len(snapshot.users):,} users, {len(snapshot.groups):,} groups, {memberships:,} memberships"
    )
    print(
        f"read time over {args.runs} runs (page size {args.page_size}): best {best:.2f} s "
        f"(CPU {best_cpu:.2f} s), median {statistics.median(t for t, _ in times):.2f} s  "
        f"({entries / best:,.0f} entries/s)"
    )
    print(
        f"plan of a first run (rules + query + diff) over {args.runs} runs: best {plan_best:.2f} s "
        f"(CPU {plan_cpu:.2f} s), median {statistics.median(p[0] for p in plans):.2f} s, {plan_items:,} items"
    )
    print(f"read + plan: {best + plan_best:.2f} s (goal: at most 5 s)")
    print(f"peak traced Python memory during one read: {peak / 2**20:.0f} MiB")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
