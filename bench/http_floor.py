"""The round-trip floor of this machine: what apply efficiency an engine that did no work at all would reach.

    uv run python bench/http_floor.py --requests 20000 --concurrency 48 --latency-ms 10 [--json]

bench/sync_okta_jira.py reports apply efficiency = writes/s ÷ (concurrency ÷ latency): the ideal in
which every request takes exactly the emulator's added latency. This bench measures how close the
stack under the engine comes to that ideal with nothing else in the way:

- **server**: a trivial ASGI app (reads the body, answers `{}`) behind the emulators' own
  `FaultMiddleware` with `latency_ms` set, served by uvicorn exactly as `idsync sandbox ...` serves the
  emulators (`idsync.sandbox.common.server`: uvloop, httptools), in its own process;
- **client**: idsync's `HttpClient` (pyreqwest, its retry policy and error mapping) on uvloop, as the
  engine's commands run, `--concurrency` workers sending POSTs with a small JSON body;
- **timer**: the same number of coroutines doing nothing but `asyncio.sleep(latency)` in one uvloop
  loop, the share of the gap that is the event loop's timer alone (it fires on millisecond ticks);
- **apply**: the engine's apply (`idsync.engine.apply.apply_plan`) of as many ADD_MEMBER items through
  `JiraTarget`'s writes, against the same trivial server: what the engine adds per item to the bare
  client (its workers, outcomes, the Jira write's parameters, the request counters and metrics), with
  neither the Jira emulator's work nor history's writes in the way;
- **+ history**: the same apply as a run does it, in a SQLite store: the items recorded before the
  first write (`Store.begin_apply`), each outcome as it comes (`engine/journal.py`), the run finished
  (`Store.finish_run`), all inside the measured time: the engine's whole apply stage, but for the Jira
  emulator.

Printed: requests/s, the efficiency against the ideal, the round trip's p50 / p99, and CPU ms per
request of the client and of the server process. The engine's apply efficiency divided by the floor's
is the share of the reachable rate the engine achieves.

Figures on this 2-core VM (2026-12-03, otherwise idle, load ~0.3; 20,000-40,000 requests, 48 in
flight, 10 ms), four runs:

    timer alone         4,624-4,662/s   0.96-0.97   p50 10.44-10.54 ms
    round trip          3,856-4,138/s   0.80-0.86   p50 11.54-12.17 ms, p99 14.7-16.6 ms
                        client 0.081-0.091 ms CPU per request, server 0.069-0.074 ms

So with nothing in the way the stack reaches 0.80-0.86 of the ideal: ~0.5 ms of each round trip is
the timer firing on millisecond ticks, ~1.5 ms the hand-offs between two processes' event loops and the
client's I/O threads on two shared cores. An engine at 0.8 must therefore add almost nothing to that;
bench/sync_okta_jira.py's 10k initial sync measured 0.65 (0.177 ms of engine CPU per item where the
bare client spends 0.085, against the Jira emulator's 0.126 ms per request where the trivial server
spends 0.07): about 0.78 of this floor.

2026-12-07, three runs (20,000 and twice 40,000):

    round trip          4,005-4,039/s   0.83-0.84   client 0.104-0.118 ms CPU per request
    apply               3,790-3,873/s   0.79-0.81   p50 11.9-12.3 ms, client 0.154-0.176 ms per item

So the engine's apply itself reaches 0.8 of the ideal when the server costs little (the apply row);
in bench/sync_okta_jira.py the Jira emulator spends 0.22-0.24 ms of CPU per request on the same two
cores, and the initial sync's apply reached 0.61-0.65 that day.

2026-12-08 (a faster day: 40,000 requests, three runs, load 0.7-1.0):

    round trip          3,966-4,187/s   0.83-0.87   client 0.075-0.081 ms CPU per request
    apply               4,024-4,108/s   0.84-0.86   client 0.101-0.114 ms per item
      + history         3,800-3,926/s   0.79-0.82   client 0.123-0.139 ms per item

History costs the apply ~0.02 ms of CPU per item and 0.03-0.05 of efficiency; with it the engine's
apply stage still reaches ~0.8 of the ideal against a server that costs little. The same day
bench/sync_okta_jira.py's 10k initial sync reached 0.68-0.73, with the Jira emulator spending
0.12 ms of CPU per request on the same two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import uvloop
from pydantic import SecretStr

from _common import cpu_seconds, percentile
from idsync.config.connections import JiraConnection
from idsync.domain.plan import Action, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason
from idsync.engine.apply import apply_plan
from idsync.engine.journal import OutcomeJournal
from idsync.http import HttpClient
from idsync.sandbox.common.faults import FaultMiddleware, Faults, Message, Receive, Scope, Send
from idsync.sandbox.common.server import free_port, serve_in_thread
from idsync.store import Store
from idsync.targets.jira.target import JiraTarget

T = TypeVar("T")


async def _trivial(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the request body and answers 200 `{}`: no work at all."""
    message: Message = {"more_body": True}
    while message.get("more_body"):
        message = await receive()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def serve(port: int, latency_ms: float) -> None:
    """The server process: the trivial app behind the emulators' latency, until killed."""
    # the middleware leaves /_sandbox/ paths undelayed: /_sandbox/stats answers at once when polled
    app = FaultMiddleware(_trivial, Faults(latency_ms=latency_ms), lambda status: (b"{}", []))
    serve_in_thread(app, port=port).thread.join()


@dataclass
class Row:
    """One measurement."""

    name: str
    requests: int
    per_second: float
    efficiency: float
    p50_ms: float
    p99_ms: float
    client_cpu_ms: float | None
    server_cpu_ms: float | None


async def timer_alone(n: int, concurrency: int, latency: float) -> Row:
    """`concurrency` coroutines sleeping `latency` each, n sleeps in all."""
    took: list[float] = []
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await asyncio.sleep(latency)
            took.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = n / (time.perf_counter() - started)
    return Row("timer alone (asyncio.sleep)", n, rate, rate / (concurrency / latency),
               percentile(took, 0.5) * 1000, percentile(took, 0.99) * 1000, None, None)


async def _measured(server_pid: int, work: Awaitable[T]) -> tuple[T, float, float, float]:
    """What `work` gives, the wall seconds it took, and the CPU seconds this process and the server
    process spent meanwhile."""
    client_cpu, server_cpu = cpu_seconds(os.getpid()), cpu_seconds(server_pid)
    started = time.perf_counter()
    result = await work
    seconds = time.perf_counter() - started
    return result, seconds, cpu_seconds(os.getpid()) - client_cpu, cpu_seconds(server_pid) - server_cpu


async def round_trips(url: str, server_pid: int, n: int, concurrency: int, latency: float) -> Row:
    """n POSTs through idsync's HttpClient, `concurrency` at a time, after a warm-up round."""
    client = HttpClient(url, headers={"Accept": "application/json"}, max_concurrency=concurrency, timeout=60)
    took: list[float] = []
    left = 0

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await client.request("POST", "/x", json={"name": "someone", "active": True})
            took.append(time.perf_counter() - started)

    try:
        left = min(n, concurrency * 20)
        await asyncio.gather(*(worker() for _ in range(concurrency)))  # connections open, caches warm
        took.clear()
        left = n
        _, seconds, client_cpu, server_cpu = await _measured(
            server_pid, asyncio.gather(*(worker() for _ in range(concurrency))))
    finally:
        await client.aclose()
    rate = n / seconds
    return Row("round trip (HttpClient → uvicorn)", n, rate, rate / (concurrency / latency),
               percentile(took, 0.5) * 1000, percentile(took, 0.99) * 1000,
               client_cpu / n * 1000, server_cpu / n * 1000)


def _plan(count: int) -> Plan:
    """`count` ADD_MEMBER items into 100 groups."""
    reason = Reason("bench", "floor")
    items = tuple(PlanItem(Action.ADD_MEMBER, "jira", reason, user=f"user{i}", source_id=f"s{i}",
                           group=f"group{i % 100}") for i in range(count))
    return Plan("floor", datetime.now(UTC), items, "bench", count, 100)


async def apply_items(
    url: str, server_pid: int, n: int, concurrency: int, latency: float, store: Store | None = None
) -> Row:
    """n ADD_MEMBER items applied by `apply_plan` through a `JiraTarget` (`concurrency` in flight),
    after a warm-up plan; the round trip's percentiles are the items' durations. With `store`, as a
    run applies: the items recorded in history first (`Store.begin_apply`), each outcome as it comes
    (`OutcomeJournal`), and the run finished (`Store.finish_run`), all inside the measured time."""
    connection = JiraConnection(type="jira", url=url, token=SecretStr("floor-bench"), concurrency=concurrency)
    target = JiraTarget("jira", connection)

    async def applied(plan: Plan) -> list[ItemResult]:
        if store is None:
            return await apply_plan(plan, {"jira": target}, NO_PROGRESS)
        run_id = await asyncio.to_thread(store.start_run, "floor", "bench")
        await asyncio.to_thread(store.begin_apply, run_id, plan)
        async with OutcomeJournal(store, run_id, len(plan.items)) as journal:
            results = await apply_plan(plan, {"jira": target}, NO_PROGRESS, on_result=journal.tell)
        await asyncio.to_thread(functools.partial(
            store.finish_run, run_id, status="succeeded", plan=plan, results=results, timings={},
            recorded=journal.recorded))
        return results

    try:
        await applied(_plan(min(n, concurrency * 20)))  # warm-up
        results, seconds, client_cpu, server_cpu = await _measured(server_pid, applied(_plan(n)))
    finally:
        await target.aclose()
    failed = [r for r in results if r.outcome is not Outcome.APPLIED]
    if failed:
        raise SystemExit(f"{len(failed)} of {n} items were not applied; the first: {failed[0].error}")
    took = [r.duration_ms or 0.0 for r in results]
    rate = n / seconds
    name = "apply (apply_plan → JiraTarget)" if store is None else "  + history (SQLite store)"
    return Row(name, n, rate, rate / (concurrency / latency),
               percentile(took, 0.5), percentile(took, 0.99), client_cpu / n * 1000, server_cpu / n * 1000)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the floor server exited ({process.returncode})")
        try:
            if httpx.get(f"{url}/_sandbox/stats", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the floor server did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="round trips to measure")
    parser.add_argument("--concurrency", type=int, default=48, help="requests in flight")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency the server adds")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1 or args.latency_ms <= 0:
        parser.error("--requests and --concurrency must be at least 1 and --latency-ms above 0")
    if args.serve:
        serve(args.serve, args.latency_ms)
        return
    latency = args.latency_ms / 1000
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "--serve", str(port), "--latency-ms", str(args.latency_ms)]
    server = subprocess.Popen(command)
    try:
        _wait(url, server)
        rows = [
            uvloop.run(timer_alone(args.requests, args.concurrency, latency)),
            uvloop.run(round_trips(url, server.pid, args.requests, args.concurrency, latency)),
            uvloop.run(apply_items(url, server.pid, args.requests, args.concurrency, latency)),
        ]
        with tempfile.TemporaryDirectory() as workdir:
            store = Store.open(f"sqlite:///{Path(workdir) / 'history.db'}")
            try:
                rows.append(uvloop.run(apply_items(url, server.pid, args.requests, args.concurrency, latency,
                                                   store)))
            finally:
                store.close()
    finally:
        server.kill()
        server.wait()
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"load": load, "concurrency": args.concurrency, "latency_ms": args.latency_ms,
                          "ideal_per_second": args.concurrency / latency, "rows": [asdict(r) for r in rows]}))
        return
    ideal = args.concurrency / latency
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs; "
          f"{args.concurrency} in flight, {args.latency_ms:g} ms latency: ideal {ideal:,.0f}/s")
    print(f"  {'':36}{'requests':>9}{'rate':>11}{'efficiency':>12}{'p50':>9}{'p99':>9}{'client CPU':>12}"
          f"{'server CPU':>12}")
    for row in rows:
        cpu = "".join(f"{value:>9.3f} ms" if value is not None else f"{'–':>12}"
                      for value in (row.client_cpu_ms, row.server_cpu_ms))
        print(f"  {row.name:36}{row.requests:>9}{row.per_second:>9,.0f}/s{row.efficiency:>12.2f}"
              f"{row.p50_ms:>6.2f} ms{row.p99_ms:>6.2f} ms{cpu}")


if __name__ == "__main__":
    main()
