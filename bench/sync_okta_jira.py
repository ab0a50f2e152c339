"""End-to-end sync figures, Okta → Jira, through the real engine against both emulators over HTTP.

    uv run python bench/sync_okta_jira.py --users 10000 --groups 1000 --memberships 200000 \\
        --latency-ms 10 --concurrency 32

Each emulator runs in its own process through the real CLI (`idsync sandbox okta|jira`), so neither
shares the engine's interpreter. The engine runs in this process exactly as `idsync sync` does
(`Engine.run`), with a config whose profile syncs every user and every group (on the fly, no include
filter), a custom attribute and a default group for new users. Phases:

1. initial sync into an empty Jira;
2. no-op resync (must make zero writes);
3. 100 changes made through the Okta API (display names, suspensions, group removals and additions,
   new hires), then a sync.

Per phase: wall time, the run's own timings, requests each emulator served by method and route
(GET /_sandbox/stats, zeroed with DELETE /_sandbox/stats before each phase), CPU seconds used by the
engine and by each emulator, and the load average. At the end: peak RSS of the engine (getrusage) and
of each emulator (/proc VmHWM). `--json` prints the same as one JSON document. `--profile FILE`
writes a cProfile of the engine during the initial sync. The emulators stop at the end, also on
Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from _common import Bench, Emulator, Phase, add_okta_org_arguments, print_phase, start, start_okta
from idsync.config.loader import parse_config

PROFILE = "bench"
CONFIG = """
database: {store}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{BENCH_OKTA_TOKEN}}
    concurrency: {okta_concurrency}
  jira:
    type: jira
    url: {jira_url}
    token: ${{BENCH_JIRA_TOKEN}}
    concurrency: {concurrency}
profiles:
  {profile}:
    source: okta
    targets: [jira]
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


def make_bench(args: argparse.Namespace, okta: Emulator, jira: Emulator, store_url: str) -> Bench:
    """The engine with the Okta → Jira config, its store, and the two emulators."""
    text = CONFIG.format(
        store=store_url,
        okta_url=okta.url,
        jira_url=jira.url,
        okta_concurrency=args.okta_concurrency,
        concurrency=args.concurrency,
        profile=PROFILE,
    )
    env = {"BENCH_OKTA_TOKEN": okta.token, "BENCH_JIRA_TOKEN": jira.token}
    return Bench(parse_config(text, env=env), PROFILE, store_url, {"okta": okta, "jira": jira},
                 asyncio_loop=args.asyncio_loop)  # fmt: skip


async def make_changes(okta: Emulator, count: int, seed: int) -> dict[str, int]:
    """`count` changes through the Okta API, as an admin would make them: about 40% display-name
    changes, 20% suspensions, 20% group removals, 18% group additions and 2% new hires."""
    rng = random.Random(seed)
    headers = {"Authorization": f"SSWS {okta.token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=okta.url, headers=headers, timeout=60) as api:
        users = (await api.get("/api/v1/users", params={"limit": 200})).json()
        active = [u for u in users if u["status"] == "ACTIVE"]
        groups = (await api.get("/api/v1/groups", params={"limit": 200})).json()
        teams = [g for g in groups if g["type"] == "OKTA_GROUP" and g["profile"]["name"].startswith("team-")]
        hires = max(1, count // 50)
        renames, suspends = count * 2 // 5, count // 5
        removals = count // 5
        additions = count - renames - suspends - removals - hires
        rng.shuffle(active)
        picked = iter(active)
        done: dict[str, int] = {}

        async def ok(response: httpx.Response, kind: str) -> None:
            response.raise_for_status()
            done[kind] = done.get(kind, 0) + 1

        for _ in range(renames):
            user = next(picked)
            name = f"{user['profile']['firstName']} {user['profile']['lastName']}-Renamed"
            await ok(
                await api.post(f"/api/v1/users/{user['id']}", json={"profile": {"displayName": name}}),
                "rename",
            )
        for _ in range(suspends):
            await ok(await api.post(f"/api/v1/users/{next(picked)['id']}/lifecycle/suspend"), "suspend")
        removed = 0
        for team in teams:
            members = (await api.get(f"/api/v1/groups/{team['id']}/users", params={"limit": 50})).json()
            for member in members:
                if removed < removals and member["status"] == "ACTIVE":
                    await ok(await api.delete(f"/api/v1/groups/{team['id']}/users/{member['id']}"), "remove")
                    removed += 1
                    break
            if removed >= removals:
                break
        for _ in range(additions):
            team = rng.choice(teams)
            await ok(await api.put(f"/api/v1/groups/{team['id']}/users/{next(picked)['id']}"), "add")
        for n in range(hires):
            login = f"bench.hire{n}.{secrets.token_hex(3)}@example.com"
            body = {
                "profile": {"firstName": "Bench", "lastName": f"Hire{n}", "email": login, "login": login,
                            "department": "Engineering"},
                "credentials": {"password": {"value": f"Bench-Passw0rd-{n}"}},
                "groupIds": [teams[n % len(teams)]["id"]],
            }  # fmt: skip
            await ok(await api.post("/api/v1/users", params={"activate": "true"}, json=body), "hire")
        return done


def main() -> None:
    """Parse the options, start the emulators, run the phases, print, stop the emulators."""
    parser = argparse.ArgumentParser(
        description="Okta → Jira sync benchmark against the two emulators (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_okta_org_arguments(parser)
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency each emulator adds")
    parser.add_argument("--concurrency", type=int, default=32, help="Jira connection concurrency")
    parser.add_argument("--okta-concurrency", type=int, default=16, help="Okta connection concurrency")
    parser.add_argument(
        "--okta-rate-limit",
        type=int,
        default=20_000,
        help="requests per minute in every Okta rate-limit bucket; 0 keeps Okta's documented defaults "
        "(the 'group' bucket, 1000/min, then makes a 1,000-group read wait for the next minute)",
    )
    parser.add_argument(
        "--okta-rate-limit-later",
        type=int,
        default=None,
        help="requests per minute in every Okta bucket from the no-op run on (0: Okta's documented "
        "defaults), so a large org is read generously once and the incremental runs meet Okta's limits",
    )
    parser.add_argument("--jira-version", type=int, choices=(9, 10), default=10,
                        help="Jira major version the emulator plays (10: 10.3 LTS, with GET /user/list)")
    parser.add_argument("--changes", type=int, default=100, help="changes made in Okta for phase 3")
    parser.add_argument("--seed", type=int, default=1, help="seed of both generators and the changes")
    parser.add_argument("--store", default=None, help="store URL (default: SQLite in a temporary directory)")
    parser.add_argument("--asyncio-loop", action="store_true",
                        help="run the engine on asyncio's own loop, not on uvloop as idsync's commands do")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile of the initial sync to FILE")
    parser.add_argument("--profile-noop", type=Path, default=None, help="cProfile of the no-op run to FILE")
    parser.add_argument("--profile-changes", type=Path, default=None,
                        help="cProfile of the run after the changes to FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="idsync-bench-") as tmp,
        emulators(args, Path(tmp)) as (okta, jira),
    ):
        store_url = args.store or f"sqlite:///{tmp}/bench.db"
        bench = make_bench(args, okta, jira, store_url)

        def say(text: str) -> None:
            if not args.json:
                print(text)

        say(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
        phases = [bench.phase("initial sync", profile=args.profile)]
        say(f"initial sync done in {phases[0].seconds:.1f} s")
        if args.okta_rate_limit_later is not None:
            limits = {"per_minute": args.okta_rate_limit_later or None}
            httpx.put(f"{okta.url}/_sandbox/rate_limits", json=limits, timeout=30).raise_for_status()
            say(f"Okta rate limits from now on: {limits['per_minute'] or 'documented defaults'}")
        phases.append(bench.phase("no-op resync", profile=args.profile_noop))
        say(f"no-op resync done in {phases[1].seconds:.1f} s")
        changed = asyncio.run(make_changes(okta, args.changes, args.seed))
        third = bench.phase(f"{args.changes} changes", profile=args.profile_changes)
        third.extra["changes"] = changed
        phases.append(third)
        engine_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        memory = {"engine_peak_mib": round(engine_peak, 1)}
        for emulator in (okta, jira):
            memory.update({f"{emulator.name}_{k}_mib": round(v, 1) for k, v in emulator.memory_mib().items()})
        bench.close()
    result = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "cpus": os.cpu_count(),
        "phases": [
            phase.__dict__ | {"writes": {s: phase.writes(s) for s in ("okta", "jira")}} for phase in phases
        ],
        "memory": memory,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for phase in phases:
        print_phase(phase)
    print(f"\npeak memory (MiB): {memory}")
    print("\nsummary")
    for phase in phases:
        print(f"  {phase.name:<14} {phase.seconds:7.1f} s  jira writes {phase.writes('jira'):>7}  "
              f"load {phase.load[0]:.2f}")  # fmt: skip
    print_efficiency(phases[0], args)


def print_efficiency(phase: Phase, args: argparse.Namespace) -> None:
    """How close the apply phase came to the physical limit, and the engine's CPU per applied item.

    The limit: with `concurrency` writes in flight and each taking `latency` at the server, no client
    can do more than concurrency ÷ latency writes per second; efficiency is the achieved rate over it.
    """
    apply_seconds = phase.timings.get("apply", 0.0)
    writes = phase.writes("jira")
    limit = args.concurrency / (args.latency_ms / 1000.0) if args.latency_ms else 0.0
    if apply_seconds and limit:
        achieved = writes / apply_seconds
        print(f"  apply: {apply_seconds:.1f} s for {writes} writes = {achieved:,.0f} writes/s; limit "
              f"{limit:,.0f}/s (the floor {writes / limit:.1f} s); apply efficiency {achieved / limit:.2f}")
    if phase.applied:
        engine = phase.cpu["engine"]
        print(f"  engine CPU {engine:.1f} s for {phase.applied} applied items = "
              f"{engine * 1000 / phase.applied:.3f} ms per applied item (the whole run)")
        applying = phase.extra.get("cpu_by_stage_s", {}).get("apply")
        if applying is not None:
            per_item = applying * 1000 / phase.applied
            print(f"  of which the apply stage {applying:.1f} s = {per_item:.3f} ms per applied item "
                  "(reading, planning and the store's records of the run are the rest)")


@contextlib.contextmanager
def emulators(args: argparse.Namespace, workdir: Path) -> Iterator[tuple[Emulator, Emulator]]:
    """Both emulators, stopped on the way out whatever happens (Ctrl-C included)."""
    started: list[Emulator] = []
    latency = ["--latency-ms", str(args.latency_ms)]
    try:
        started.append(start_okta(args, workdir, args.okta_rate_limit))
        jira_args = ["--users", "0", "--projects", "0", "--seed", str(args.seed),
                     "--version", str(args.jira_version), *latency]  # fmt: skip
        started.append(start("jira", jira_args, secrets.token_urlsafe(33), workdir))
        yield started[0], started[1]
    finally:
        for emulator in started:
            emulator.stop()


if __name__ == "__main__":
    main()
