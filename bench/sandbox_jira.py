"""Benchmark of the Jira emulator: simple GETs per second per emulator process, and generation time /
peak memory for 100,000 users.

    uv run python bench/sandbox_jira.py [--users 10000] [--seconds 10] [--connections 32]

The emulator runs as the real CLI (`idsync sandbox jira`) in its own process; the load comes from `wrk`
(Debian package `wrk`, C, one thread), so the client is not the bottleneck. Besides wall-clock req/s
(which depends on what else the shared machine runs) it prints requests per CPU-second of the server
process: the rate one emulator process reaches when it has a core to itself. Generation is measured in a
fresh subprocess so its peak RSS is the generator's own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx

TOKEN = "bench-pat"
_GENERATE = """
import resource, time
from datetime import UTC, datetime
from idsync.sandbox.atlassian.jira.generator import generate
from idsync.sandbox.atlassian.jira.options import JiraOptions
start = time.perf_counter()
state = generate(JiraOptions(users={users}, projects=50), datetime.now(UTC))
elapsed = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{len(state.users)}} {{len(state.groups)}} {{elapsed:.2f}} {{peak_mb:.0f}}")
"""


def generation(users: int) -> None:
    """Time and peak memory of generating `users` users in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _GENERATE.format(users=users)], check=True,
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    print(f"generate {users:,} users: {int(out[0]):,} users, {int(out[1]):,} groups "
          f"in {out[2]} s, peak RSS {out[3]} MB (whole interpreter)")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(users: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # The venv's own `idsync` script, so that the PID is the server's (for its CPU time).
    idsync = os.path.join(os.path.dirname(sys.executable), "idsync")
    command = [idsync, "sandbox", "jira", "--port", str(port), "--token", TOKEN,
               "--users", str(users), "--projects", "10"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/rest/api/2/serverInfo", timeout=1)
            return process, url
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit("the emulator exited before serving") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the emulator did not start")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, seconds: int, connections: int) -> tuple[float, int]:
    result = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H",
                             f"Authorization: Bearer {TOKEN}", url],
                            check=True, capture_output=True, text=True).stdout  # fmt: skip
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    if non2xx:
        raise SystemExit(f"{non2xx.group(1)} error responses from {url}:\n{result}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result)
    total = re.search(r"(\d+) requests in", result)
    if rate is None or total is None:
        raise SystemExit(f"unexpected wrk output:\n{result}")
    return float(rate.group(1)), int(total.group(1))


def throughput(users: int, seconds: int, connections: int) -> None:
    """GETs per second against one emulator process started by the CLI."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    process, url = _start(users)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        someone = httpx.get(f"{url}/rest/api/2/user/search", params={"username": "a", "maxResults": 1},
                            headers=headers).json()[0]["name"]  # fmt: skip
        team = httpx.get(f"{url}/rest/api/2/groups/picker", params={"query": "team-", "maxResults": 1},
                         headers=headers).json()["groups"][0]["name"]  # fmt: skip
        targets = {
            f"GET /rest/api/2/user?username={someone}": f"{url}/rest/api/2/user?username={someone}",
            f"GET /rest/api/2/group/member?groupname={team} (page of 50)":
                f"{url}/rest/api/2/group/member?groupname={team}&maxResults=50",
            "GET /rest/api/2/serverInfo": f"{url}/rest/api/2/serverInfo",
        }  # fmt: skip
        print(f"emulator: 1 process, {users:,} users; load: wrk -t1 -c{connections} -d{seconds}s; "
              f"{os.cpu_count()} CPUs shared, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print("  wall req/s  req per server CPU-second  request")
        for label, target in targets.items():
            cpu_before = _cpu_seconds(process.pid)
            rate, total = _wrk(target, seconds, connections)
            cpu = _cpu_seconds(process.pid) - cpu_before
            print(f"  {rate:10.0f}  {total / cpu if cpu else float('nan'):25.0f}  {label}")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    """Parse the arguments and print the figures."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--users", type=int, default=10000, help="users in the emulator under load")
    parser.add_argument("--generate-users", type=int, default=100000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    generation(args.generate_users)
    throughput(args.users, args.seconds, args.connections)


if __name__ == "__main__":
    main()
