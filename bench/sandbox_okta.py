"""Benchmark of the Okta emulator: prints

- generation time and peak RSS for 100,000 users / 5,000 groups (in a fresh child process);
- simple GETs per second against the emulator running as its own process (the real CLI), measured
  with `wrk` when installed (apt-get install wrk), else with several Python client processes using
  keep-alive connections (so the load generator is not the bottleneck).

Run: uv run python bench/sandbox_okta.py [--users 10000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import resource
import shutil
import signal
import subprocess
import time
from typing import Any

TOKEN = "bench-token"


def _generate(users: int, groups: int, queue: Any) -> None:
    from idsync.sandbox.common.clock import Clock
    from idsync.sandbox.okta.generator import generate

    started = time.perf_counter()
    state = generate(users, groups, 10, 1, Clock())
    took = time.perf_counter() - started
    memberships = sum(len(m) for m in state.members.values())
    queue.put((took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, memberships))


def measure_generation(users: int, groups: int) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, memberships) of generating an org in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_generate, args=(users, groups, queue))
    process.start()
    result: tuple[float, float, int] = queue.get(timeout=300)
    process.join()
    return result


def start_emulator(port: int, users: int) -> subprocess.Popen[str]:
    """The real CLI in its own process, rate limits raised out of the way."""
    command = ["uv", "run", "idsync", "sandbox", "okta", "--port", str(port), "--users", str(users),
               "--groups", str(max(1, users // 20)), "--token", TOKEN, "--rate-limit", "1000000000",
               "--concurrency", "100000"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/_sandbox/faults")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the emulator did not start")


def first_user_id(port: int) -> str:
    """An id to GET repeatedly."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/api/v1/users?limit=1", headers={"Authorization": f"SSWS {TOKEN}"})
    body = connection.getresponse().read().decode()
    found = re.search(r'"id":"(00u[^"]+)"', body)
    assert found, body
    return found.group(1)


def _client(port: int, path: str, seconds: float, queue: Any) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"SSWS {TOKEN}"}
    done = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        done += 1
        errors += response.status != 200
    queue.put((done, errors))


def python_load(port: int, path: str, seconds: float, clients: int) -> tuple[float, int]:
    """Requests per second and non-200 count with `clients` keep-alive client processes."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_client, args=(port, path, seconds, queue)) for _ in range(clients)]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def wrk_load(port: int, path: str, seconds: float) -> tuple[float, int]:
    """Requests per second and non-2xx count measured by wrk (1 thread, 16 connections)."""
    output = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{int(seconds)}s", "-H", f"Authorization: SSWS {TOKEN}",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    assert rate, output
    return float(rate.group(1)), int(bad.group(1)) if bad else 0


def server_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the emulator's process group, from /proc."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10000, help="users in the served org")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=3, help="Python client processes (without wrk)")
    parser.add_argument("--skip-generation", action="store_true")
    args = parser.parse_args()
    if not args.skip_generation:
        took, peak, memberships = measure_generation(100_000, 5_000)
        print(f"generation: 100,000 users + 5,000 groups ({memberships:,} memberships) in {took:.2f} s, "
              f"peak RSS {peak:.0f} MiB")
    from idsync.sandbox.common.server import free_socket

    with free_socket() as sock:
        port = sock.getsockname()[1]
    process = start_emulator(port, args.users)
    try:
        user_id = first_user_id(port)
        tool = "wrk" if shutil.which("wrk") else f"{args.clients} python client processes"
        for label, path in (("GET /api/v1/users/{id}", f"/api/v1/users/{user_id}"),
                            ("GET /api/v1/groups?limit=20", "/api/v1/groups?limit=20"),
                            ("GET /api/v1/users?limit=200", "/api/v1/users?limit=200")):
            cpu_before = server_cpu_seconds(process.pid)
            if shutil.which("wrk"):
                rate, bad = wrk_load(port, path, args.seconds)
            else:
                rate, bad = python_load(port, path, args.seconds, args.clients)
            cpu = server_cpu_seconds(process.pid) - cpu_before
            per_core = rate * args.seconds / cpu if cpu else float("nan")
            print(f"{label:30s} {rate:7.0f} req/s wall; {per_core:7.0f} req per server CPU-second "
                  f"(server busy {cpu / args.seconds:.0%} of one core; non-200: {bad}; {tool})")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=20)


if __name__ == "__main__":
    main()
