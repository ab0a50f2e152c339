"""Apply throughput against the Jira emulator: N create_user + 2N add_member items (plus the groups).

    uv run python bench/apply_jira.py --users 10000 --groups 20 --latency-ms 10 --concurrency 8 16

The emulator runs in its own process (`idsync sandbox jira`, the real CLI) so it does not share an
interpreter with the client being measured. Prints, per concurrency: wall time of apply_plan, items
per second, outcomes, requests the client sent and requests the emulator served, by endpoint. The
client runs on uvloop, as idsync's commands do (idsync.runtime); `--asyncio-loop` runs it on asyncio's
own loop, to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import httpx

from idsync.config.connections import JiraConnection
from idsync.domain.plan import Action, Change, Plan, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason
from idsync.engine.apply import apply_plan
from idsync.runtime import run_loop
from idsync.sandbox.common.server import free_port
from idsync.targets.jira import JiraTarget

REASON = Reason("bench", "generated")



def start_emulator(token: str, latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = ["idsync", "sandbox", "jira", "--port", str(port), "--users", "0", "--projects", "0",
           "--token", token, "--latency-ms", str(latency_ms)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_sandbox/stats", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the Jira emulator did not start")


def build_plan(users: int, groups: int) -> Plan:
    items = [PlanItem(Action.CREATE_GROUP, "jira", REASON, group=f"bench-{g:04}") for g in range(groups)]
    for i in range(users):
        name = f"bench.user{i:06}"
        changes = (Change("email", None, f"{name}@example.com"), Change("display_name", None, f"Bench {i}"))
        items.append(PlanItem(Action.CREATE_USER, "jira", REASON, user=name, source_id=name, changes=changes))
        for g in (i % groups, (i + 1 + i // groups) % groups):
            items.append(
                PlanItem(Action.ADD_MEMBER, "jira", REASON, user=name, source_id=name, group=f"bench-{g:04}")
            )
    return Plan("bench", datetime.now(UTC), tuple(items), "bench", users, groups)


async def run(url: str, token: str, plan: Plan, concurrency: int) -> None:
    conn = JiraConnection(type="jira", url=url, token=token, concurrency=concurrency)  # type: ignore[arg-type]
    target = JiraTarget("jira", conn)
    async with httpx.AsyncClient() as admin:
        await admin.delete(f"{url}/_sandbox/stats")
    started, cpu = time.perf_counter(), time.process_time()
    results = await apply_plan(plan, {"jira": target}, NO_PROGRESS)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await target.aclose()
    outcomes = Counter(r.outcome.value for r in results)
    async with httpx.AsyncClient() as admin:
        served = (await admin.get(f"{url}/_sandbox/stats")).json()
    print(f"concurrency {concurrency}: {len(results)} items in {elapsed:.1f} s "
          f"({len(results) / elapsed:.0f} items/s; client CPU {cpu * 1000 / len(results):.2f} ms/item); "
          f"outcomes {dict(outcomes)}")  # fmt: skip
    print(f"  client requests: {sum(target.requests.values())} {dict(target.requests)}; "
          f"retries {target.http.retries}, 429s {target.http.rate_limited}")  # fmt: skip
    print(f"  emulator served: {sum(served.values())} {served}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--asyncio-loop", action="store_true",
                        help="run the client on asyncio's own loop, not on uvloop as idsync's commands do")
    args = parser.parse_args()
    plan = build_plan(args.users, args.groups)
    print(f"plan: {dict(plan.counts())}, emulator latency {args.latency_ms} ms", flush=True)
    for concurrency in args.concurrency:
        token = secrets.token_urlsafe(24)
        proc, url = start_emulator(token, args.latency_ms)  # a fresh emulator per run: every user is new
        try:
            if args.asyncio_loop:
                asyncio.run(run(url, token, plan, concurrency))
            else:
                run_loop(run(url, token, plan, concurrency))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
