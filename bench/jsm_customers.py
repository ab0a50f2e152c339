"""Jira Service Management customers: Okta groups → portal customers of a service desk on the Jira DC
emulator. Prints wall time and requests of an initial sync, a no-op resync, and a resync after some
people left their groups.

    uv run python bench/jsm_customers.py --users 1000 --groups 10 --leave 20 --latency-ms 10

Both emulators run in their own processes through the real CLI (`idsync sandbox okta`, `idsync
sandbox jira --service-desk ITH`). The profile has no targets: it maps every generated Okta group
to service desk ITH, so each active member becomes a customer (created, then added). Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from _common import Emulator, start
from idsync.config.loader import parse_config
from idsync.engine.run import Engine, RunRequest
from idsync.store import Store

CONFIG = """
database: sqlite:///{store}
connections:
  okta: {{type: okta, url: "{okta_url}", token: "${{OKTA_TOKEN}}", full_read_every_hours: 0}}
  jira: {{type: jira, url: "{jira_url}", token: "${{JIRA_TOKEN}}", concurrency: {concurrency}}}
profiles:
  portal:
    source: okta
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    service_desks:
      connection: jira
      mapping:
{mapping}
    safety: {{max_membership_removals: 1000000}}
"""


def _okta(okta: Emulator) -> httpx.Client:
    return httpx.Client(base_url=okta.url, headers={"Authorization": f"SSWS {okta.token}"}, timeout=60)


def _groups(okta: Emulator) -> dict[str, str]:
    """Name → id of the generated (OKTA_GROUP) groups."""
    with _okta(okta) as http:
        groups = http.get("/api/v1/groups", params={"limit": 200}).json()
    return {g["profile"]["name"]: g["id"] for g in groups if g.get("type") == "OKTA_GROUP"}


def _leave(okta: Emulator, groups: dict[str, str], count: int) -> int:
    """Take `count` members out of the first groups; returns how many memberships ended."""
    ended = 0
    with _okta(okta) as http:
        for group_id in groups.values():
            for member in http.get(f"/api/v1/groups/{group_id}/users", params={"limit": 1000}).json():
                if ended >= count:
                    return ended
                http.delete(f"/api/v1/groups/{group_id}/users/{member['id']}").raise_for_status()
                ended += 1
    return ended


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--leave", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-jsm-"))
    latency = ["--latency-ms", str(args.latency_ms)]
    okta = start("okta", ["--users", str(args.users), "--groups", str(args.groups), "--apps", "0", *latency],
                 secrets.token_hex(16), workdir)
    jira = start("jira", ["--users", "0", "--projects", "0", "--service-desk", "ITH", *latency],
                 secrets.token_hex(16), workdir)
    try:
        groups = _groups(okta)
        mapping = "\n".join(f'        "{name}": [ITH]' for name in sorted(groups))
        text = CONFIG.format(store=workdir / "idsync.db", okta_url=okta.url, jira_url=jira.url,
                             concurrency=args.concurrency, mapping=mapping)
        config = parse_config(text, env={"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token})
        with Store.open(f"sqlite:///{workdir / 'idsync.db'}") as store:
            engine = Engine(config, store)
            for phase in ("initial", "no-op", "after-leaving"):
                if phase == "after-leaving":
                    print(f"  ({_leave(okta, groups, args.leave)} memberships ended in Okta)")
                jira.reset_stats()
                started = time.perf_counter()
                report = asyncio.run(engine.run(RunRequest("portal")))
                took = time.perf_counter() - started
                counts = Counter(i.action.value for i in report.plan.items) if report.plan else Counter()
                stats = jira.stats()
                reads = sum(v for k, v in stats.items() if k.startswith("GET"))
                writes = sum(v for k, v in stats.items() if not k.startswith("GET"))
                items = dict(sorted(counts.items()))
                print(f"{phase:>14}: {took:6.1f} s  {report.status.value:<10} items {items}"
                      f"  Jira requests: {reads} reads, {writes} writes")
    finally:
        okta.stop()
        jira.stop()


if __name__ == "__main__":
    main()
