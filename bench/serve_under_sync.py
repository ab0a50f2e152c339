"""SCIM latency of `idsync serve` while a scheduled full sync runs in the same server process.

    uv run python bench/serve_under_sync.py --users 10000 --scim-users 10000 --duration 30

The server answers SCIM and runs schedules on one event loop, so a sync that blocks the loop (a
synchronous database call, a long CPU-bound step) shows up as SCIM latency. The goal: the p99 of
GET /Users/{id} while a 10k-user Okta → Jira sync runs stays within 2× of the p99 without it.

Set-up: a fresh SQLite store in a temporary directory; the Okta emulator (`--users` people, `--groups`
groups, `--memberships` memberships) and an empty Jira emulator run through the real CLI
(`idsync sandbox okta|jira`), each in its own process, and so does `idsync serve`. One config holds a
`scim_inbound` connection (seeded with `--scim-users` users through the storage layer, token from
`idsync scim token`) and an Okta → Jira profile whose `schedule:` is a cron expression with a seconds
field naming one moment: far enough ahead for the server to start and phase 1 to end, so the first
scheduled run, an initial sync into the empty Jira, starts after phase 1.

Phases (wrk, `--threads` threads, `--connections` keep-alive connections, a random seeded user per
request), after a short warm-up:

1. without sync: GET /Users/{id} for `--duration` s;
2. during sync: GET /Users/{id} from when the scheduled run appears in the run history (the store,
   polled every 0.1 s) until the history records its end; wrk is stopped then with SIGINT.

Printed: requests per second, p50 / p95 / p99 / max, errors and server CPU seconds for both phases,
the run (status, items, seconds, how much of it phase 2 covered), and p99(during) / p99(without) with
whether it is at most 2. `--json` prints one JSON document. Every process started here is stopped
at the end, also on Ctrl-C or an error. Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Emulator
from _common import start as start_emulator
from idsync.sandbox.common.server import free_port
from idsync.service.schedule import Schedule
from idsync.store import Store
from idsync.store.records import RunStatus, RunSummary
from scim_server import CONNECTION, Server, idsync_cli, seed
from scim_server import start as start_server

PROFILE = "scheduled"
TRIGGER = "schedule"
GOAL = 2.0
"""p99 during the sync may be at most this many times the p99 without it."""
CONFIG = """
database: sqlite:///{store}
server: {{host: 127.0.0.1, port: {port}, stop_grace_seconds: 5}}
connections:
  {connection}: {{type: scim_inbound}}
  okta: {{type: okta, url: "{okta_url}", token: "${{BENCH_OKTA_TOKEN}}", concurrency: {okta_concurrency}}}
  jira: {{type: jira, url: "{jira_url}", token: "${{BENCH_JIRA_TOKEN}}", concurrency: {concurrency}}}
profiles:
  {profile}:
    source: okta
    targets: [jira]
    schedule: {{cron: "{cron}"}}
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
    groups:
      mode: on_the_fly
      default_groups: {{new_users: [jira-software-users]}}
    leads: {{default_project_lead: admin, default_component_lead: admin}}
    safety:
      max_deactivations: 1000000
      max_deactivation_percent: 100
      max_membership_removals: 10000000
      protected_users: [admin]
      protected_groups: [jira-administrators]
"""
LUA = """
local ids = {{}}
for line in io.lines("{ids}") do ids[#ids + 1] = line end
local headers = {{["Authorization"] = "Bearer {token}", ["Accept"] = "application/scim+json"}}
tid = 0  -- a global: thread:set() in setup() assigns the thread's globals
local thread_number = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("tid", thread_number)
end
function init(args)
  math.randomseed(os.time() * 100 + tid)
end
function request()
  return wrk.format("GET", "{base}/Users/" .. ids[math.random(#ids)], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, '
    .. '"max_ms": %.3f, "non_2xx": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def one_moment(when: datetime) -> str:
    """A cron expression (six fields, the last one seconds) whose only slot in a year is `when`."""
    return f"{when.minute} {when.hour} {when.day} {when.month} * {when.second}"


def scheduled_runs(store: Store) -> list[RunSummary]:
    """The profile's runs with trigger "schedule", oldest first."""
    return [r for r in reversed(store.runs(PROFILE, limit=20)) if r.trigger == TRIGGER]


def wrk_command(args: argparse.Namespace, script: Path, url: str, seconds: int) -> list[str]:
    """wrk with our Lua script for `seconds` seconds."""
    return ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s",
            "-s", str(script), url]  # fmt: skip


def wrk_result(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    """The RESULT line the script's done() wrote, as a dict."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith("RESULT ")), None)
    if returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({returncode}):\n{stdout}\n{stderr}")
    return dict(json.loads(line[len("RESULT ") :]))


def phase_figures(name: str, result: dict[str, Any], server: Server, cpu_before: float) -> dict[str, Any]:
    """One phase's wrk figures with requests per second, server CPU seconds and the load average."""
    return {
        "phase": name,
        **result,
        "per_second": result["requests"] / result["seconds"] if result["seconds"] else 0.0,
        "server_cpu_s": round(server.cpu_seconds() - cpu_before, 2),
        "load": os.getloadavg(),
    }


def fixed_phase(
    args: argparse.Namespace, name: str, script: Path, server: Server, seconds: int
) -> dict[str, Any]:
    """wrk for a fixed number of seconds."""
    cpu = server.cpu_seconds()
    done = subprocess.run(wrk_command(args, script, server.url, seconds), capture_output=True, text=True,
                          check=False)  # fmt: skip
    return phase_figures(name, wrk_result(done.returncode, done.stdout, done.stderr), server, cpu)


def wait_for_run(store: Store, deadline: float) -> RunSummary:
    """The scheduled run, once the history has it (it is recorded as running when it starts)."""
    while time.monotonic() < deadline:
        found = scheduled_runs(store)
        if found:
            return found[0]
        time.sleep(0.1)
    raise SystemExit("the scheduled run did not start in time; see serve.log in the kept directory (--keep)")


def during_sync(
    args: argparse.Namespace, script: Path, server: Server, store: Store, run_id: str
) -> tuple[dict[str, Any], RunSummary, float]:
    """wrk from now until the history records the run's end (at most --max-sync-seconds); also the run
    as recorded and the seconds wrk ran while the run was going."""
    cpu = server.cpu_seconds()
    started = time.monotonic()
    command = wrk_command(args, script, server.url, args.max_sync_seconds)
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run: RunSummary | None = None
    try:
        while time.monotonic() - started < args.max_sync_seconds and wrk.poll() is None:
            run = next(r for r in scheduled_runs(store) if r.id == run_id)
            if run.finished_at is not None:
                break
            time.sleep(0.1)
        covered = time.monotonic() - started
        if wrk.poll() is None:
            wrk.send_signal(signal.SIGINT)  # wrk stops, prints its summary and calls done()
        stdout, stderr = wrk.communicate(timeout=60)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    assert run is not None
    return phase_figures("during sync", wrk_result(wrk.returncode, stdout, stderr), server, cpu), run, covered


def run(args: argparse.Namespace, workdir: Path, say: Any) -> dict[str, Any]:
    """Start the emulators and the server, measure both phases; everything started is stopped."""
    cli = idsync_cli()
    okta_token, jira_token = "00" + secrets.token_urlsafe(30), secrets.token_urlsafe(33)
    env = {**os.environ, "BENCH_OKTA_TOKEN": okta_token, "BENCH_JIRA_TOKEN": jira_token}
    groups = args.groups if args.groups is not None else max(1, args.users // 10)
    memberships = args.memberships if args.memberships is not None else args.users * 20
    emulators: list[Emulator] = []
    server: Server | None = None
    try:
        latency = ["--latency-ms", str(args.latency_ms)]
        say(f"Okta emulator: {args.users} users, {groups} groups, {memberships} memberships ...")
        okta = start_emulator("okta", ["--users", str(args.users), "--groups", str(groups), "--memberships",
                                       str(memberships), "--rate-limit", "20000", *latency], okta_token,
                              workdir)  # fmt: skip
        emulators.append(okta)
        emulators.append(start_emulator("jira", ["--users", "0", "--projects", "0", *latency], jira_token,
                                        workdir))  # fmt: skip
        port = free_port()
        store_path, config = workdir / "idsync.db", workdir / "idsync.yaml"

        def write_config(cron: str) -> None:
            config.write_text(CONFIG.format(
                store=store_path, port=port, connection=CONNECTION, okta_url=okta.url,
                jira_url=emulators[1].url, okta_concurrency=args.okta_concurrency,
                concurrency=args.concurrency, profile=PROFILE, cron=cron))  # fmt: skip

        write_config("0 0 1 1 *")  # a placeholder until the run's moment is known
        issued = subprocess.run([cli, "scim", "token", CONNECTION, "--config", str(config)],
                                capture_output=True, text=True, check=True, env=env)  # fmt: skip
        token = issued.stdout.strip()
        say(f"seeding {args.scim_users} SCIM users through the storage ...")
        ids, _names, seed_seconds = seed(f"sqlite:///{store_path}", args.scim_users)
        ids_file = workdir / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        script = workdir / "get.lua"
        script.write_text(LUA.format(ids=ids_file, token=token, base=f"/scim/v2/{CONNECTION}"))

        ahead = args.startup_budget + args.warmup + args.duration + 1
        slot = (datetime.now(UTC) + timedelta(seconds=ahead)).replace(microsecond=0)
        cron = one_moment(slot)
        run_at = Schedule(PROFILE, cron=cron).run_at(slot)
        write_config(cron)
        say(f"idsync serve; the scheduled run starts at {run_at:%H:%M:%S.%f} UTC (cron {cron!r}) ...")
        server = start_server("serve", [cli, "serve", "--config", str(config)], f"http://127.0.0.1:{port}",
                              "/healthz", workdir, env)  # fmt: skip
        with Store.open(f"sqlite:///{store_path}") as store:
            say(f"warm-up {args.warmup} s, then {args.duration} s without sync ...")
            fixed_phase(args, "warm-up", script, server, args.warmup)
            without = fixed_phase(args, "without sync", script, server, args.duration)
            if scheduled_runs(store) or datetime.now(UTC) >= run_at:
                raise SystemExit("the scheduled run started before phase 1 ended: raise --startup-budget")
            say("waiting for the scheduled run ...")
            seconds_left = (run_at - datetime.now(UTC)).total_seconds()
            started = wait_for_run(store, time.monotonic() + seconds_left + 60)
            say(f"run {started.id} started; measuring until it ends (at most {args.max_sync_seconds} s) ...")
            during, finished, covered = during_sync(args, script, server, store, started.id)
        run_seconds = finished.duration_s
        ratio = during["p99_ms"] / without["p99_ms"] if without["p99_ms"] else float("inf")
        return {
            "okta": {"users": args.users, "groups": groups, "memberships": memberships,
                     "latency_ms": args.latency_ms},
            "scim_users": args.scim_users, "seed_seconds": round(seed_seconds, 1),
            "wrk": {"threads": args.threads, "connections": args.connections},
            "cores": os.cpu_count(),
            "phases": [without, during],
            "run": {"id": finished.id, "status": finished.status, "items": finished.item_count,
                    "outcomes": dict(finished.counts_by_outcome), "error": finished.error,
                    "seconds": run_seconds, "finished": finished.finished_at is not None,
                    "late_s": round((finished.started_at - run_at).total_seconds(), 2),
                    "measured_s": round(covered, 1)},
            "p99_ratio": round(ratio, 2),
            "within_goal": ratio <= GOAL,
            "run_succeeded": finished.status == RunStatus.SUCCEEDED,
            "server_peak_rss_mib": round(server.peak_rss_mib(), 1),
        }  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        for emulator in reversed(emulators):
            emulator.stop()


def print_result(result: dict[str, Any]) -> None:
    """The figures as a table and the verdict."""
    okta, wrk = result["okta"], result["wrk"]
    print(f"\nidsync serve: GET /Users/{{id}} over {result['scim_users']:,} SCIM users, wrk {wrk['threads']} "
          f"threads / {wrk['connections']} connections, {result['cores']} cores; scheduled Okta → Jira sync "
          f"of {okta['users']:,} users / {okta['groups']:,} groups / {okta['memberships']:,} memberships "
          f"({okta['latency_ms']} ms emulator latency)")  # fmt: skip
    print(f"{'phase':<14} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>7} {'srv CPU s':>9}")  # fmt: skip
    for p in result["phases"]:
        errors = p["non_2xx"] + p["socket_errors"]
        print(f"{p['phase']:<14} {p['seconds']:>8.1f} {p['per_second']:>8.0f} {p['p50_ms']:>8.2f} "
              f"{p['p95_ms']:>8.2f} {p['p99_ms']:>8.2f} {p['max_ms']:>8.1f} {errors:>7} "
              f"{p['server_cpu_s']:>9.1f}")  # fmt: skip
    r = result["run"]
    print(f"\nscheduled run {r['id']}: {r['status']}, {r['items']} items {r['outcomes']}, "
          f"{r['seconds'] if r['seconds'] is not None else '?'} s, started {r['late_s']} s after its "
          f"run time; phase 2 measured {r['measured_s']} s of it")  # fmt: skip
    if r["error"]:
        print(f"run error: {r['error']}")
    verdict = "yes" if result["within_goal"] else "no"
    print(f"p99(during) / p99(without) = {result['p99_ratio']:.2f}   ≤ {GOAL:g}: {verdict}")
    if not result["run_succeeded"] or not r["finished"]:
        print("the scheduled run did not finish successfully: phase 2 does not show a whole sync")
    print(f"server peak RSS {result['server_peak_rss_mib']} MiB")


def main() -> None:
    """Parse the options, run the bench in a temporary directory, print."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=10_000, help="Okta users the scheduled sync reads")
    parser.add_argument("--groups", type=int, default=None, help="Okta groups (default: users / 10)")
    parser.add_argument("--memberships", type=int, default=None, help="memberships (default: users × 20)")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency each emulator adds")
    parser.add_argument("--concurrency", type=int, default=32, help="Jira connection concurrency")
    parser.add_argument("--okta-concurrency", type=int, default=16, help="Okta connection concurrency")
    parser.add_argument("--scim-users", type=int, default=10_000, help="users seeded into the SCIM inbox")
    parser.add_argument("--duration", type=int, default=30, help="seconds of phase 1 (without sync)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before phase 1, not measured")
    parser.add_argument("--startup-budget", type=int, default=30,
                        help="seconds allowed for `idsync serve` to start before phase 1")  # fmt: skip
    parser.add_argument("--max-sync-seconds", type=int, default=1800, help="stop phase 2 after this long")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk keep-alive connections")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, store)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="idsync-bench-serve-sync-"))
    try:
        result = run(args, workdir, say)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_result(result)


if __name__ == "__main__":
    main()
