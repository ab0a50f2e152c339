"""Scheduler lateness under `idsync serve`: how long after each slot's run time the slot is claimed and
its run starts, with several profiles on short intervals.

    uv run python bench/schedule_lateness.py --profiles 4 --interval 2s --slots 10

The Okta and Jira emulators and `idsync serve` run in their own processes through the real CLI; each
profile syncs the same Okta org into its own Jira emulator. After `--slots` slots of every profile the
server is stopped with SIGTERM and the figures are read from the store: per claimed slot, the claim's
and the run's delay after the slot's run time (slot + jitter), and how many slots were claimed out of
those that came due. Prints the figures; `--json` prints them as one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Emulator, start
from idsync.service.schedule import Schedule, interval_seconds
from idsync.store import Store
from idsync.store import schedule as slots
from login_sync import _serve

HEAD = """
database: sqlite:///{store}
connections:
  okta: {{type: okta, url: "{okta}", token: "${{BENCH_OKTA_TOKEN}}"}}
{jiras}
server: {{stop_grace_seconds: 30}}
profiles:
{profiles}
"""


def _figures(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    """Parse the arguments, run the server for the slots, print the figures."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--profiles", type=int, default=4)
    parser.add_argument("--interval", default="2s")
    parser.add_argument("--slots", type=int, default=10, help="Slots per profile to wait for.")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    period = interval_seconds(args.interval)

    workdir = Path(tempfile.mkdtemp(prefix="idsync-bench-schedule-"))
    okta_token = secrets.token_urlsafe(24)
    okta = start("okta", ["--users", str(args.users), "--groups", "5", "--apps", "0"], okta_token, workdir)
    jiras: list[Emulator] = []
    serve = None
    try:
        env = {**os.environ, "BENCH_OKTA_TOKEN": okta_token}
        for i in range(args.profiles):
            token = secrets.token_urlsafe(24)
            jiras.append(start("jira", ["--users", "0", "--projects", "1"], token, workdir, tag=f"jira{i}"))
            env[f"BENCH_JIRA_{i}_TOKEN"] = token
        names = [f"p{i}" for i in range(args.profiles)]
        config = workdir / "idsync.yaml"
        jira_lines = [f'  jira{i}: {{type: jira, url: "{j.url}", token: "${{BENCH_JIRA_{i}_TOKEN}}"}}'
                      for i, j in enumerate(jiras)]  # fmt: skip
        schedule_text = f"{{interval: {args.interval}}}"
        profile_lines = [f"  {n}: {{source: okta, targets: [jira{i}], schedule: {schedule_text}}}"
                         for i, n in enumerate(names)]  # fmt: skip
        config.write_text(HEAD.format(store=workdir / "idsync.db", okta=okta.url, jiras="\n".join(jira_lines),
                                      profiles="\n".join(profile_lines)))  # fmt: skip
        serve, _url = _serve(config, env, workdir / "serve.log")
        started = datetime.now(UTC)
        time.sleep(period * (args.slots + 1))
        stopped = datetime.now(UTC)  # slots due after SIGTERM are not claimed, by design
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=120)
        claim_ms: list[float] = []
        run_ms: list[float] = []
        claimed = 0
        due = 0
        with Store.open(f"sqlite:///{workdir / 'idsync.db'}") as store:
            for name in names:
                schedule = Schedule(name, period=timedelta(seconds=period))
                runs = {r.id: r for r in store.runs(name, limit=1000)}
                rows = slots.list_slots(store.engine, name, limit=1000)
                claimed += len(rows)
                first = min(r.slot_at for r in rows)
                due += sum(1 for _ in _slots(schedule, first, stopped))
                for row in rows:
                    start_at = schedule.run_at(row.slot_at)
                    claim_ms.append((row.claimed_at - start_at).total_seconds() * 1000)
                    if row.run_id in runs:
                        run_ms.append((runs[row.run_id].started_at - start_at).total_seconds() * 1000)
        result: dict[str, Any] = {
            "profiles": args.profiles, "interval": args.interval, "users": args.users,
            "served_s": round((stopped - started).total_seconds(), 1),
            "slots_claimed": claimed, "slots_due_since_first_claim": due,
            "claim_after_run_time": _figures(claim_ms), "run_start_after_run_time": _figures(run_ms),
        }  # fmt: skip
        lines = "\n".join(f"{key}: {value}" for key, value in result.items())
        print(json.dumps(result, indent=2) if args.json else lines)
    finally:
        if serve is not None and serve.poll() is None:
            serve.kill()
        for emulator in (okta, *jiras):
            emulator.stop()


def _slots(schedule: Schedule, first: datetime, until: datetime) -> list[datetime]:
    found, current = [], first
    while schedule.run_at(current) <= until:
        found.append(current)
        current = schedule.next_slot(current)
    return found


if __name__ == "__main__":
    sys.exit(main())
