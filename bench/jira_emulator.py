"""CPU cost of the Jira emulator itself, per route, under the request mix of an initial sync.

    uv run python bench/jira_emulator.py --requests 4000 --concurrency 48 --latency-ms 10 [--json]

The emulator runs as the real CLI (`idsync sandbox jira --users 5 --projects 0 --latency-ms 10`) in its
own process, started by `_common.start` as the sync benches start it. A bare client drives it: pyreqwest,
the engine's HTTP stack (see idsync.http), one `Client` with the PAT as a default header, `--concurrency`
workers on uvloop, no retries, no engine. The phases run one after the other, each one route, in the
order an initial sync needs them:

    POST /rest/api/2/group                        N groups
    GET  /rest/api/2/user?username=               N lookups of users not there yet (404, as in a sync)
    POST /rest/api/2/user                         N users
    PUT  /rest/api/2/user/properties/{key}        N properties (?username=, a JSON string)
    POST /rest/api/2/group/user?groupname=        N memberships (about 10 users per group)
    GET  /rest/api/2/group/member?groupname=      N member pages

Per phase: requests/s (wall) and the emulator's CPU ms per request (user + system time of its process,
/proc/PID/stat, before and after the phase), checked against the emulator's own counters
(GET /_sandbox/stats) and the expected status codes. Overall: the plain total, and the CPU per request
weighted by the mix of the 10k-user initial sync of bench/sync_okta_jira.py (193k memberships, 10k
lookups, 8.8k users, 8.8k properties, 1k member pages, 1k groups). CPU time is what matters here: wall
time depends on the 10 ms latency and on whatever else the machine runs.

On a shared 2-core VM the same code measures up to ±30% apart from one minute to the next, so compare
versions back to back, alternating: e.g. the committed source against the working tree with
`git archive HEAD src | tar -x -C /tmp/base` and `PYTHONPATH=/tmp/base/src uv run python
bench/jira_emulator.py` (the emulator child inherits PYTHONPATH).

`--profile FILE` runs the emulator under cProfile instead (slower; the figures are then not the real
ones) and writes the profile when the emulator stops.

Figures (4000 requests per route, 48 in flight, 10 ms; medians of runs alternated with the baseline;
load average 1.0-2.7 from another worker on the same 2 cores), as emulator CPU ms per request weighted
by the sync mix, and requests/s:

    uvicorn 0.54 + httptools + uvloop, Starlette's Router   0.144-0.169 ms   2,700-3,100/s  (baseline)
    granian 2.8.9, 1 worker, uvloop, ASGI (no lifespan)     0.246 ms         2,440/s        (+46% CPU)
      same, single-threaded runtime / Rust tasks / embedded 0.251 / 0.307 / 0.234 ms
    auth-header parse cache                                 within noise (0.1 us per Bearer request)
    fault middleware fast path (nothing injected)           within noise (0.06 us per request)
    TableRouter (sandbox/atlassian/common/routing.py)       0.131 ms (-9%)   3,225/s (+3%), 10 runs each
    ProductApp (sandbox/common/product_app.py) in place of  app alone 7-21% less (below); under uvicorn
      Starlette's two exception middlewares                 within the noise: 0.202-0.252 ms against
                                                            0.205-0.244, 3 runs each, alternated

The app alone (called in-process, no server, both routers in one process, interleaved) cost 36-39 µs
per request with Starlette's Router and 29-30 µs with TableRouter; the rest is the server. With a sync's
POST /group and GET /user (404) mix on 2026-12-07, through the whole app (faults, auth, routing), best of
12 interleaved rounds: 44.6 and 53.9 µs per request behind Starlette's app, 41.4 and 42.8 µs behind
ProductApp. A bare ASGI app that reads the body, waits 10 ms and answers costs 0.075/0.083 ms
(GET/POST) under uvicorn and 0.11/0.14 ms under granian: granian's Rust I/O thread hands each request
over to the Python event loop, which costs more than uvicorn parsing with httptools inside the loop, at
these request sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import uvloop
from pyreqwest.client import Client, ClientBuilder

from _common import Emulator, start
from idsync.sandbox.common.server import free_port

API = "/rest/api/2"
SYNC_MIX = {
    "POST /rest/api/2/group/user": 193_000,
    "GET /rest/api/2/user": 10_000,
    "POST /rest/api/2/user": 8_800,
    "PUT /rest/api/2/user/properties/{key:path}": 8_800,
    "GET /rest/api/2/group/member": 1_000,
    "POST /rest/api/2/group": 1_000,
}
"""Requests by route in the initial sync of 10k users (GET /_sandbox/stats after it)."""
_JSON = {"Content-Type": "application/json"}

Call = tuple[str, str, list[tuple[str, str]] | None, bytes | None]
"""method, path, query, JSON body."""


@dataclass
class Result:
    """One phase: its route, how many requests, wall seconds, emulator CPU seconds, statuses seen."""

    route: str
    requests: int
    seconds: float
    cpu: float
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        """Requests per wall second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Emulator CPU milliseconds per request."""
        return self.cpu * 1000 / self.requests if self.requests else 0.0


def phases(n: int) -> list[tuple[str, int, list[Call]]]:
    """(stats route, expected status, calls) per phase, in the order a sync needs them."""
    groups = max(1, n // 10)
    user = [f"bench.user{i}" for i in range(n)]
    group = [f"bench-group-{i}" for i in range(n)]
    return [
        ("POST /rest/api/2/group", 201,
         [("POST", f"{API}/group", None, orjson.dumps({"name": g})) for g in group]),
        ("GET /rest/api/2/user", 404,
         [("GET", f"{API}/user", [("username", u)], None) for u in user]),
        ("POST /rest/api/2/user", 201,
         [("POST", f"{API}/user", None, orjson.dumps({"name": u, "displayName": f"User {i}",
                                                      "emailAddress": f"{u}@example.com"}))
          for i, u in enumerate(user)]),
        ("PUT /rest/api/2/user/properties/{key:path}", 201,
         [("PUT", f"{API}/user/properties/department", [("username", u)], orjson.dumps(f"Dept {i % 7}"))
          for i, u in enumerate(user)]),
        ("POST /rest/api/2/group/user", 201,
         [("POST", f"{API}/group/user", [("groupname", group[i % groups])], orjson.dumps({"name": u}))
          for i, u in enumerate(user)]),
        ("GET /rest/api/2/group/member", 200,
         [("GET", f"{API}/group/member", [("groupname", group[i % groups])], None) for i in range(n)]),
    ]  # fmt: skip


async def drive(client: Client, url: str, calls: list[Call], concurrency: int) -> dict[int, int]:
    """Send `calls` with `concurrency` workers; the statuses seen, counted."""
    statuses: dict[int, int] = {}
    pending = iter(calls)

    async def worker() -> None:
        for method, path, query, body in pending:
            builder = client.request(method, url + path)
            if query is not None:
                builder = builder.query(query)
            if body is not None:
                builder = builder.body_bytes(body).headers(_JSON)
            response = await builder.build().send()
            await response.bytes()
            statuses[response.status] = statuses.get(response.status, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def run(emulator: Emulator, n: int, concurrency: int, say: Callable[[str], None]) -> list[Result]:
    """Every phase against `emulator`, measured."""
    client = (
        ClientBuilder()
        .default_headers({"Authorization": f"Bearer {emulator.token}", "Accept": "application/json"})
        .max_connections(concurrency)
        .timeout(timedelta(seconds=60))
        .build()
    )
    results = []
    try:
        for route, expected, calls in phases(n):
            emulator.reset_stats()
            cpu = emulator.cpu_seconds()
            started = time.perf_counter()
            statuses = await drive(client, emulator.url, calls, concurrency)
            result = Result(route, len(calls), time.perf_counter() - started, emulator.cpu_seconds() - cpu,
                            statuses)  # fmt: skip
            served = emulator.stats()
            if statuses != {expected: len(calls)} or served != {route: len(calls)}:
                raise SystemExit(f"{route}: expected {len(calls)} × {expected}, got {statuses}; "
                                 f"the emulator counted {served}")  # fmt: skip
            say(f"  {route:<46} {result.requests:>7} {result.per_second:>9,.0f}/s {result.cpu_ms:>8.3f} ms")
            results.append(result)
    finally:
        await client.close()
    return results


def summary(results: list[Result]) -> dict[str, float]:
    """Overall figures: plain totals, and CPU per request weighted by the initial sync's mix."""
    requests = sum(r.requests for r in results)
    cpu = sum(r.cpu for r in results)
    seconds = sum(r.seconds for r in results)
    by_route = {r.route: r.cpu_ms for r in results}
    weighted = sum(SYNC_MIX[k] * by_route[k] for k in SYNC_MIX) / sum(SYNC_MIX.values())
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "per_second": round(requests / seconds, 1),
        "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_request": round(cpu * 1000 / requests, 4),
        "cpu_ms_per_request_sync_mix": round(weighted, 4),
    }


_PROFILED = """
import cProfile, sys
from idsync.cli import app
path = sys.argv.pop(1)
profiler = cProfile.Profile()
profiler.enable()
try:
    app()
except (KeyboardInterrupt, SystemExit):
    pass
finally:
    profiler.disable()
    profiler.dump_stats(path)
"""
"""The CLI under cProfile: its typer app, not `main` (which ends with `os._exit`), and not `python -m
cProfile`, which writes nothing on the KeyboardInterrupt uvicorn re-raises after a SIGINT stopped it."""


def start_profiled(args: list[str], token: str, workdir: Path, profile: Path) -> Emulator:
    """`idsync sandbox jira ARGS` under cProfile, which writes PROFILE when the emulator stops."""
    port = free_port()
    log = workdir / "jira.log"
    command = [sys.executable, "-c", _PROFILED, str(profile), "sandbox", "jira", "--port", str(port),
               "--token", token, *args]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    emulator = Emulator("jira", process, f"http://127.0.0.1:{port}", token, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the emulator exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{emulator.url}/_sandbox/stats", timeout=2).status_code == 200:
                return emulator
        time.sleep(0.2)
    emulator.stop()
    raise SystemExit("the emulator did not answer within 120 s")


def main() -> None:
    """Parse the options, start the emulator, run the phases, print, stop it."""
    parser = argparse.ArgumentParser(
        description="CPU per request of the Jira emulator (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=4000, help="requests per route")
    parser.add_argument("--concurrency", type=int, default=48, help="requests in flight")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency the emulator adds")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile of the emulator to FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()

    def say(text: str) -> None:
        if not args.json:
            print(text)

    token = secrets.token_urlsafe(33)
    emulator_args = ["--users", "5", "--projects", "0", "--latency-ms", str(args.latency_ms)]
    with tempfile.TemporaryDirectory(prefix="idsync-bench-") as tmp:
        if args.profile is not None:
            emulator = start_profiled(emulator_args, token, Path(tmp), args.profile.resolve())
        else:
            emulator = start("jira", emulator_args, token, Path(tmp))
        try:
            say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs; "
                f"{args.requests} requests per route, {args.concurrency} in flight, "
                f"{args.latency_ms:g} ms latency")  # fmt: skip
            say(f"  {'route':<46} {'requests':>7} {'wall rate':>11} {'CPU/req':>11}")
            results = uvloop.run(run(emulator, args.requests, args.concurrency, say))
        finally:
            emulator.stop()
    total = summary(results)
    if args.json:
        print(json.dumps({"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                          "routes": [r.__dict__ | {"per_second": round(r.per_second, 1),
                                                   "cpu_ms_per_request": round(r.cpu_ms, 4)}
                                     for r in results],
                          "overall": total}, indent=2))  # fmt: skip
        return
    print(f"  {'overall':<46} {total['requests']:>7} {total['per_second']:>9,.0f}/s "
          f"{total['cpu_ms_per_request']:>8.3f} ms")  # fmt: skip
    print(f"  weighted by the initial sync's mix: {total['cpu_ms_per_request_sync_mix']:.3f} ms of emulator "
          "CPU per request")  # fmt: skip


if __name__ == "__main__":
    main()
