"""SCIM service provider figures over real HTTP: `idsync serve` in its own process, wrk as the load.

    uv run python bench/scim_server.py --users 100000 --duration 10 [--json]

Set-up: a fresh SQLite store in a temporary directory; the Jira emulator (`idsync sandbox jira`) and
`idsync serve` each run in their own process through the real CLI, with a config whose profile
provisions the inbox `inbox` into that Jira. The bearer token comes from `idsync scim token inbox`.
The inbox is seeded with `--users` users *through the storage layer* (`InboxStorage.create_many`, one
transaction per 5,000; an IdP would POST them one by one, which is what phase 3 measures), so the seeds
are never provisioned.

Phases (wrk, `--threads` threads and `--connections` keep-alive connections, `--duration` s each; the
Lua scripts pick a random seeded user per request):

1. GET /Users/{id}: requests per second, p50 / p99;
2. GET /Users?filter=userName eq "…" on the seeded users: requests per second, p50 / p99;
3. POST /Users with new users for `--post-duration` s: creations per second, p50 / p99. Each creation
   queues a single-user provisioning run into Jira in the same server process; the bench then waits
   until Jira has every one of them and reports how long that took (provisioning throughput);
4. push → Jira: `--samples` users POSTed one at a time; for each, the time from the SCIM response to
   the user's existence in Jira, found by polling the Jira REST API every `--poll-ms` ms (the figures
   are upper bounds by at most one poll interval). p50 / p95 / max (goal: p95 under 1 s).

Also: non-2xx answers and socket errors per phase (must be 0), CPU seconds of the server per phase
and per request (its own cost, whatever else the machine runs), the load average, and peak RSS of
the server. `--server-profile FILE` runs the server under cProfile (main thread only: storage calls
in worker threads are not in it; the direct reads on SQLite run on it). Every process started
here is stopped at the end, also on Ctrl-C or an error. Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from idsync.sandbox.common.server import free_port
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.storage import InboxStorage
from idsync.store import Store

CONNECTION = "inbox"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CONFIG = """
database: sqlite:///{store}
server: {{host: 127.0.0.1, port: {port}}}
connections:
  {connection}: {{type: scim_inbound}}
  jira: {{type: jira, url: "{jira_url}", token: "${{BENCH_JIRA_TOKEN}}"}}
profiles:
  push:
    source: {connection}
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {{mode: none}}
    safety: {{protected_users: [admin]}}
"""

LUA_COMMON = """
local lines = {{}}
for line in io.lines("{values}") do lines[#lines + 1] = line end
local headers = {{["Authorization"] = "Bearer {token}", ["Accept"] = "application/scim+json",
                 ["Content-Type"] = "application/scim+json"}}
local counter = 0
tid = 0  -- a global: thread:set() in setup() assigns the thread's globals
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("tid", thread_number)
end
function init(args)
  math.randomseed(os.time() * 100 + tid)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
    .. '"non_2xx": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
"""
LUA_GET = """
function request()
  return wrk.format("GET", "{base}/Users/" .. lines[math.random(#lines)], headers)
end
"""
LUA_FILTER = """
function request()
  local name = lines[math.random(#lines)]:gsub("@", "%%40")
  return wrk.format("GET", "{base}/Users?filter=userName%20eq%20%22" .. name .. "%22", headers)
end
"""
LUA_POST = """
function request()
  counter = counter + 1
  local name = string.format("{run}-%d-%d@post.example", tid, counter)
  local body = '{{"schemas":["{user}"],"userName":"' .. name .. '","name":{{"givenName":"Post",'
    .. '"familyName":"User' .. counter .. '"}},"emails":[{{"value":"' .. name .. '","type":"work",'
    .. '"primary":true}}],"displayName":"Post User","active":true}}'
  return wrk.format("POST", "{base}/Users", headers, body)
end
"""


@dataclass
class Phase:
    """What one wrk phase measured."""

    name: str
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    server_cpu_s: float
    load: tuple[float, float, float]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Server:
    """A process started through the real CLI."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (/proc/PID/stat)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        """VmHWM of the process in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        """SIGINT (uvicorn's clean stop; cProfile writes its file), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)



def idsync_cli() -> str:
    """The idsync console script of this environment."""
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    if found is None:
        raise SystemExit("the idsync CLI is not installed in this environment (run: uv sync)")
    return found


def start(name: str, command: list[str], url: str, probe: str, workdir: Path, env: dict[str, str]) -> Server:
    """Start a server process in its own session and wait until `probe` answers 200."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    server = Server(name, process, url, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}{probe}", timeout=2).status_code == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise SystemExit(f"{name} did not answer within 120 s; see {log}")


def seed(store_url: str, users: int) -> tuple[list[str], list[str], float]:
    """`users` users through InboxStorage.create_many; their ids, userNames and the seconds it took."""
    provider = inbox_provider()
    user_type = next(rt for rt in provider.resource_types if rt.id == "User")
    model = provider.model_for(user_type)
    ids: list[str] = []
    names: list[str] = []
    started = time.perf_counter()
    with Store.open(store_url) as store:
        inbox = InboxStorage(store.engine, CONNECTION, provider)
        for first in range(0, users, 5000):
            batch = []
            for i in range(first, min(users, first + 5000)):
                name = f"seed{i:07d}@seed.example"
                names.append(name)
                batch.append(
                    model.model_validate(
                        {
                            "schemas": [USER],
                            "userName": name,
                            "externalId": f"ext{i}",
                            "name": {"givenName": "Seed", "familyName": f"User{i}"},
                            "emails": [{"value": name, "type": "work", "primary": True}],
                            "displayName": f"Seed User{i}",
                            "active": True,
                        }
                    )
                )
            ids.extend(inbox.create_many(user_type, batch))
    return ids, names, time.perf_counter() - started


def wrk(args: argparse.Namespace, script: Path, url: str, duration: int) -> dict[str, Any]:
    """Run wrk with a Lua script; its RESULT line as a dict."""
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(line[len("RESULT ") :]))


def wrk_phase(
    args: argparse.Namespace, name: str, lua: str, server: Server, workdir: Path, values: Path, token: str
) -> Phase:
    """One wrk phase against the server, with the server's CPU seconds and the load average."""
    script = workdir / f"{name.split()[0].lower()}.lua"
    base = f"/scim/v2/{CONNECTION}"
    run = secrets.token_hex(3)
    script.write_text(
        LUA_COMMON.format(values=values, token=token) + lua.format(base=base, run=run, user=USER)
    )
    cpu = server.cpu_seconds()
    duration = args.post_duration if name.startswith("POST") else args.duration
    result = wrk(args, script, server.url, duration)
    cpu = server.cpu_seconds() - cpu
    return Phase(
        name,
        result["requests"],
        result["seconds"],
        result["requests"] / result["seconds"],
        result["p50_ms"],
        result["p99_ms"],
        result["max_ms"],
        result["non_2xx"],
        result["socket_errors"],
        cpu,
        os.getloadavg(),
    )


def jira_user_creations(jira: Server) -> int:
    """How many users the Jira emulator created so far (its request counters)."""
    stats = httpx.get(f"{jira.url}/_sandbox/stats", timeout=30).json()
    return sum(int(n) for key, n in stats.items() if key.startswith("POST /rest/api/2/user"))


def inbox_total(server: Server, token: str) -> int:
    """How many users the inbox holds (GET /Users?count=0)."""
    response = httpx.get(
        f"{server.url}/scim/v2/{CONNECTION}/Users",
        params={"count": 0},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    return int(response.json()["totalResults"])


def drain(jira: Server, expected: int, timeout: float) -> float | None:
    """Seconds until Jira has created `expected` users (None when it did not within `timeout`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if jira_user_creations(jira) >= expected:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def push_to_jira(
    args: argparse.Namespace, server: Server, jira: Server, token: str, jira_token: str
) -> dict[str, Any]:
    """Time from each SCIM POST's response to the user's existence in Jira (polled)."""
    scim = httpx.Client(
        base_url=f"{server.url}/scim/v2/{CONNECTION}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    rest = httpx.Client(base_url=jira.url, headers={"Authorization": f"Bearer {jira_token}"}, timeout=30)
    latencies: list[float] = []
    missing = 0
    run = secrets.token_hex(3)
    with scim, rest:
        for i in range(args.samples):
            login = f"push{run}{i}"
            body = {
                "schemas": [USER],
                "userName": f"{login}@push.example",
                "name": {"givenName": "Push", "familyName": f"User{i}"},
                "emails": [{"value": f"{login}@push.example", "type": "work", "primary": True}],
                "active": True,
            }
            response = scim.post("/Users", json=body)
            answered = time.perf_counter()
            if response.status_code != 201:
                raise SystemExit(f"POST /Users answered {response.status_code}: {response.text[:500]}")
            while True:
                if rest.get("/rest/api/2/user", params={"username": login}).status_code == 200:
                    latencies.append(time.perf_counter() - answered)
                    break
                if time.perf_counter() - answered > 60:
                    missing += 1
                    break
                time.sleep(args.poll_ms / 1000)
    ordered = sorted(latencies)
    return {
        "samples": len(latencies),
        "missing_after_60s": missing,
        "p50_ms": 1000 * statistics.median(ordered) if ordered else None,
        "p95_ms": 1000 * ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else None,
        "max_ms": 1000 * ordered[-1] if ordered else None,
        "poll_ms": args.poll_ms,
        "samples_ms": [round(1000 * x, 1) for x in latencies],
    }


def main() -> None:
    """Parse arguments, run every phase, print a table or JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=100_000, help="users seeded into the inbox")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk phase")
    parser.add_argument(
        "--post-duration",
        type=int,
        default=5,
        help="seconds of the POST phase (every creation is then provisioned, ~5-10 users/s)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk keep-alive connections")
    parser.add_argument("--samples", type=int, default=50, help="users timed from SCIM response to Jira")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="Jira polling interval of the last phase")
    parser.add_argument("--server-profile", type=Path, help="run the server under cProfile, write here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, store)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="idsync-bench-scim-"))
    try:
        result = run(args, workdir, say)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def run(args: argparse.Namespace, workdir: Path, say: Any) -> dict[str, Any]:
    """Start the servers, seed, run the phases; everything started is stopped on the way out."""
    cli = idsync_cli()
    jira_token = secrets.token_urlsafe(33)
    env = {**os.environ, "BENCH_JIRA_TOKEN": jira_token}
    started: list[Server] = []
    try:
        jira_port = free_port()
        jira = start(
            "jira",
            [
                cli,
                "sandbox",
                "jira",
                "--port",
                str(jira_port),
                "--users",
                "0",
                "--projects",
                "0",
                "--token",
                jira_token,
            ],
            f"http://127.0.0.1:{jira_port}",
            "/_sandbox/stats",
            workdir,
            env,
        )
        started.append(jira)
        port = free_port()
        store = workdir / "idsync.db"
        config = workdir / "idsync.yaml"
        config.write_text(CONFIG.format(store=store, port=port, connection=CONNECTION, jira_url=jira.url))
        token = subprocess.run(
            [cli, "scim", "token", CONNECTION, "--config", str(config)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout.strip()  # fmt: skip
        say(f"seeding {args.users} users through InboxStorage.create_many ...")
        ids, names, seed_seconds = seed(f"sqlite:///{store}", args.users)
        say(f"  {seed_seconds:.1f} s")
        command = [cli, "serve", "--port", str(port), "--config", str(config)]
        if args.server_profile:
            command = [sys.executable, "-m", "cProfile", "-o", str(args.server_profile.resolve()), *command]
        server = start("serve", command, f"http://127.0.0.1:{port}", "/healthz", workdir, env)
        started.append(server)
        id_file = workdir / "ids.txt"
        id_file.write_text("\n".join(ids) + "\n")
        name_file = workdir / "names.txt"
        name_file.write_text("\n".join(names) + "\n")
        phases: list[Phase] = []
        for label, lua, values in (
            ("GET /Users/{id}", LUA_GET, id_file),
            ('GET /Users?filter=userName eq "…"', LUA_FILTER, name_file),
            ("POST /Users", LUA_POST, id_file),
        ):
            say(f"{label}: wrk -t{args.threads} -c{args.connections} ...")
            before = jira_user_creations(jira)
            phase = wrk_phase(args, label, lua, server, workdir, values, token)
            if label == "POST /Users":
                # wrk leaves out requests still in flight when its time is up; the inbox has them all
                created = inbox_total(server, token) - args.users
                say(f"  waiting until Jira has the {created} new users ...")
                seconds = drain(jira, before + created, timeout=max(120.0, created / 2))
                provisioned = jira_user_creations(jira) - before
                phase.extra = {
                    "created_in_inbox": created,
                    "provisioned_into_jira": provisioned,
                    "jira_caught_up_after_s": seconds,
                    "provisioned_per_s_overall": provisioned / (phase.seconds + (seconds or 0)),
                }
            phases.append(phase)
        say(f"push → Jira: {args.samples} users, one at a time ...")
        push = push_to_jira(args, server, jira, token, jira_token)
        return {
            "users_seeded": args.users,
            "seed_seconds": seed_seconds,
            "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration},
            "cores": os.cpu_count(),
            "phases": [asdict(p) for p in phases],
            "push_to_jira": push,
            "server_peak_rss_mib": server.peak_rss_mib(),
            "load_average": os.getloadavg(),
        }
    finally:
        for process in reversed(started):
            process.stop()


def print_table(result: dict[str, Any]) -> None:
    """The figures as a table."""
    wrk_args = result["wrk"]
    print(
        f"\nSCIM server, {result['users_seeded']:,} users stored (seeded in {result['seed_seconds']:.1f} s), "
        f"wrk {wrk_args['threads']} threads / {wrk_args['connections']} connections / "
        f"{wrk_args['duration_s']} s, {result['cores']} cores"
    )
    print(
        f"{'phase':<36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} "
        f"{'srv CPU s':>9} {'CPU ms/req':>10}"
    )
    for p in result["phases"]:
        errors = p["non_2xx"] + p["socket_errors"]
        per_request = 1000 * p["server_cpu_s"] / p["requests"] if p["requests"] else 0.0
        print(
            f"{p['name']:<36} {p['per_second']:>8.0f} {p['p50_ms']:>8.1f} {p['p99_ms']:>8.1f} "
            f"{p['max_ms']:>8.1f} {errors:>7} {p['server_cpu_s']:>9.1f} {per_request:>10.3f}"
        )
        if p["extra"]:
            extra = p["extra"]
            caught = extra["jira_caught_up_after_s"]
            print(
                f"  provisioned into Jira: {extra['provisioned_into_jira']} users, caught up "
                f"{'never' if caught is None else f'{caught:.1f} s'} after the load ended "
                f"({extra['provisioned_per_s_overall']:.1f} users/s overall)"
            )
    push = result["push_to_jira"]
    missing = f", {push['missing_after_60s']} missing after 60 s" if push["missing_after_60s"] else ""
    print(
        f"SCIM response → Jira write ({push['samples']} users, one at a time, poll {push['poll_ms']} ms): "
        f"p50 {push['p50_ms']:.0f} ms, p95 {push['p95_ms']:.0f} ms, max {push['max_ms']:.0f} ms{missing}"
    )
    print(f"server peak RSS {result['server_peak_rss_mib']:.0f} MiB, load average {result['load_average']}")
    print(
        "CPU ms/req is the server's own CPU per answered request: the figure that does not depend on "
        "what else the machine runs (req/s does, on a shared 2-core box)"
    )


if __name__ == "__main__":
    main()
