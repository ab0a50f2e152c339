"""Chaos: Okta → Jira while both emulators inject faults, run after run until nothing is left to do.

    uv run python bench/chaos.py --users 2000 --groups 200 --memberships 20000

Both emulators run in their own processes through the real CLI with `--latency-ms` and their rate
limits set tight (429 bursts with Retry-After: Okta `--okta-rate-limit` per minute in every bucket,
Jira `--jira-rate-limit` per second); then each gets, through its admin API (PUT /_sandbox/faults),
`--fail-rate` 5xx on reads and writes, `--drop-rate` dropped connections and `--lost-rate` writes carried
out whose response is lost. The engine syncs again and again under those faults until a run has nothing
to do (at most `--max-runs`), then once more with the faults off, which must find nothing to do either.

Printed per run: items, failed items (and their share), retries (extra attempts of the items' writes,
idsync's HTTP retries and repeats after a read showed a write had not happened), requests both
emulators served, retries per 1,000 requests; then runs until converged and the clean run's verdict.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from pathlib import Path

import httpx

from _common import Bench, Emulator, start
from idsync.config.loader import parse_config
from idsync.domain.plan import Outcome

PROFILE = "bench"
CONFIG = """
database: {store}
connections:
  okta: {{type: okta, url: {okta_url}, token: "${{BENCH_OKTA_TOKEN}}", concurrency: 8}}
  jira: {{type: jira, url: {jira_url}, token: "${{BENCH_JIRA_TOKEN}}", concurrency: {concurrency}}}
profiles:
  {profile}:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
    groups: {{mode: on_the_fly, default_groups: {{new_users: [jira-software-users]}}}}
    safety: {{max_deactivations: 100000, max_deactivation_percent: 100, max_membership_removals: 1000000}}
"""


def _faults(emulator: Emulator, args: argparse.Namespace, on: bool) -> None:
    rate = args.fail_rate if on else 0.0
    body = {"read_fail_rate": rate, "write_fail_rate": rate, "fail_status": 500,
            "drop_rate": args.drop_rate if on else 0.0, "lost_rate": args.lost_rate if on else 0.0}
    httpx.put(f"{emulator.url}/_sandbox/faults", json=body, timeout=30).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description="Okta → Jira under faults (see the module docstring).",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--memberships", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=16, help="Jira connection concurrency")
    parser.add_argument("--fail-rate", type=float, default=0.10, help="5xx on reads and on writes")
    parser.add_argument("--drop-rate", type=float, default=0.02, help="connections cut before an answer")
    parser.add_argument("--lost-rate", type=float, default=0.02, help="writes done, their answer lost")
    parser.add_argument("--okta-rate-limit", type=int, default=300, help="Okta requests/minute per bucket")
    parser.add_argument("--jira-rate-limit", type=int, default=200, help="Jira requests per second")
    parser.add_argument("--max-runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="idsync-chaos-") as tmp:
        workdir = Path(tmp)
        common = ["--seed", str(args.seed), "--latency-ms", str(args.latency_ms)]
        okta = start("okta", ["--users", str(args.users), "--groups", str(args.groups), "--memberships",
                              str(args.memberships), "--rate-limit", str(args.okta_rate_limit), *common],
                     "00" + secrets.token_urlsafe(30), workdir)
        jira = start("jira", ["--users", "0", "--projects", "0", "--rate-limit", str(args.jira_rate_limit),
                              *common], secrets.token_urlsafe(33), workdir)
        try:
            store = f"sqlite:///{workdir}/chaos.db"
            text = CONFIG.format(store=store, okta_url=okta.url, jira_url=jira.url,
                                 concurrency=args.concurrency, profile=PROFILE)
            config = parse_config(text, env={"BENCH_OKTA_TOKEN": okta.token, "BENCH_JIRA_TOKEN": jira.token})
            bench = Bench(config, PROFILE, store, {"okta": okta, "jira": jira})
            for emulator in (okta, jira):
                _faults(emulator, args, on=True)
            print(f"faults: {args.fail_rate:.0%} 5xx, {args.drop_rate:.0%} dropped, "
                  f"{args.lost_rate:.0%} lost responses; rate limits Okta {args.okta_rate_limit}/min, "
                  f"Jira {args.jira_rate_limit}/s\n")
            print(f"{'run':>3} {'status':<11} {'items':>7} {'failed':>7} {'share':>7} {'retries':>8} "
                  f"{'requests':>9} {'retries/1k req':>14} {'seconds':>8}")
            converged_after = None
            for number in range(1, args.max_runs + 1):
                phase = bench.phase(f"run {number}")
                failed = phase.items - phase.outcomes.get(Outcome.APPLIED.value, 0)
                requests = sum(sum(side.values()) for side in phase.requests.values())
                retries = phase.extra.get("retries", 0)
                share = failed / phase.items if phase.items else 0.0
                per_k = 1000 * retries / requests if requests else 0.0
                print(f"{number:>3} {phase.status:<11} {phase.items:>7} {failed:>7} {share:>7.2%} "
                      f"{retries:>8} {requests:>9} {per_k:>14.1f} {phase.seconds:>8.1f}", flush=True)
                if phase.status == "no_changes":
                    converged_after = number - 1
                    break
            for emulator in (okta, jira):
                _faults(emulator, args, on=False)
            clean = bench.phase("clean")
            print(f"\nruns under faults until nothing was left to do: {converged_after}")
            print(f"clean run afterwards: {clean.status} ({clean.items} items)")
            bench.close()
        finally:
            jira.stop()
            okta.stop()


if __name__ == "__main__":
    main()
