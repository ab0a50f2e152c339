"""Okta into Atlassian Cloud (the user provisioning SCIM API), with the directory's rate limit on.

    uv run python bench/sync_okta_cloud.py --users 10000 --groups 1000 --memberships 200000 \\
        --latency-ms 10 --cloud-rate-limit 100

Both emulators run in their own processes through the real CLI (`idsync sandbox okta|cloud`), each
adding `--latency-ms` to every request; the engine runs in this process as `idsync sync` does. Atlassian
rate-limits the provisioning API without publishing numbers, so the Cloud emulator's token bucket is an
option (`--cloud-rate-limit` requests per second, burst one second's worth): a 429 with Retry-After is
waited out by idsync.

Printed per phase (initial sync, no-op resync): wall time, items applied, engine CPU seconds and CPU per
applied item, requests the Cloud emulator served by method and route, the 429s it answered, the floor
the rate limit sets (requests ÷ rate), and the check that membership PATCHes stay within
memberships / 100 + groups (members go in batched PATCH operations, not one request per membership).
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from pathlib import Path

from _common import Bench, Phase, add_okta_org_arguments, engine_peak_mib, print_requests, start, start_okta
from idsync import metrics
from idsync.config.loader import parse_config

PROFILE = "bench"
DIRECTORY = "bench-directory"
CONFIG = """
database: {store}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{BENCH_OKTA_TOKEN}}
    concurrency: {okta_concurrency}
  cloud:
    type: atlassian_cloud
    url: {cloud_url}
    token: ${{BENCH_CLOUD_TOKEN}}
    concurrency: {concurrency}
profiles:
  {profile}:
    source: okta
    targets: [cloud]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
    safety:
      max_deactivations: 1000000
      max_deactivation_percent: 100
      max_membership_removals: 10000000
"""


def _rejected() -> int:
    """429s idsync received from the cloud connection so far (its metric idsync_http_rate_limited)."""
    value = metrics.REGISTRY.get_sample_value("idsync_http_rate_limited_total", {"connection": "cloud"})
    return int(value or 0)


def _report(phase: Phase, memberships: int, groups: int, rate: float, rejected: int) -> None:
    cloud = phase.requests["cloud"]
    patches = sum(n for k, n in cloud.items() if k.startswith("PATCH") and "/Groups/" in k)
    total = sum(cloud.values())
    per_item = 1000 * phase.cpu["engine"] / phase.applied if phase.applied else 0.0
    print(f"\n== {phase.name}: {phase.seconds:.1f} s wall, status {phase.status}, {phase.applied} applied")
    print(f"   engine CPU {phase.cpu['engine']:.2f} s ({per_item:.3f} ms per applied item), cloud CPU "
          f"{phase.cpu.get('cloud', 0.0):.2f} s")
    print(f"   cloud requests {total}, 429s answered {rejected}"
          + (f", rate-limit floor {total / rate:.1f} s at {rate:g}/s" if rate else ""))
    if phase.applied:
        bound = memberships / 100 + groups
        print(f"   membership PATCHes {patches} ≤ memberships/100 + groups = {bound:.0f}: "
              f"{'yes' if patches <= bound else 'NO'}")
    print(f"   run timings {phase.timings}")
    print_requests(phase, ["cloud", "okta"])
    for failure in phase.extra.get("failed", [])[:10]:
        print(f"   failed: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Okta → Atlassian Cloud (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_okta_org_arguments(parser)
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency every emulator adds")
    parser.add_argument("--concurrency", type=int, default=4, help="Cloud connection concurrency")
    parser.add_argument("--okta-concurrency", type=int, default=16, help="Okta connection concurrency")
    parser.add_argument("--okta-rate-limit", type=int, default=20_000,
                        help="requests per minute in every Okta bucket; 0: Okta's defaults")
    parser.add_argument("--cloud-rate-limit", type=float, default=100.0,
                        help="Cloud requests per second (burst one second's worth); 0: off")
    parser.add_argument("--seed", type=int, default=1, help="seed of every generator")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="idsync-bench-") as tmp:
        workdir = Path(tmp)
        okta = start_okta(args, workdir, args.okta_rate_limit)
        cloud_args = ["--users", "0", "--seed", str(args.seed), "--latency-ms", str(args.latency_ms),
                      "--directory-id", DIRECTORY]
        if args.cloud_rate_limit:
            cloud_args += ["--rate-limit", str(args.cloud_rate_limit)]
        cloud = start("cloud", cloud_args, secrets.token_urlsafe(33), workdir)
        try:
            text = CONFIG.format(store=f"sqlite:///{workdir}/bench.db", okta_url=okta.url,
                                 okta_concurrency=args.okta_concurrency,
                                 cloud_url=f"{cloud.url}/scim/directory/{DIRECTORY}",
                                 concurrency=args.concurrency, profile=PROFILE)
            env = {"BENCH_OKTA_TOKEN": okta.token, "BENCH_CLOUD_TOKEN": cloud.token}
            config = parse_config(text, env=env)
            metrics.watch_config(config)  # names the connections in the request metrics
            bench = Bench(config, PROFILE, f"sqlite:///{workdir}/bench.db", {"okta": okta, "cloud": cloud})
            print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
                  f"{os.cpu_count()} CPUs", flush=True)
            try:
                rejected = 0
                for name in ("initial sync", "no-op resync"):
                    phase = bench.phase(name)
                    now = _rejected()
                    _report(phase, args.memberships, args.groups, args.cloud_rate_limit, now - rejected)
                    rejected = now
                print(f"\nengine peak RSS {engine_peak_mib():.0f} MiB; cloud {cloud.memory_mib()} MiB")
            finally:
                bench.close()
        finally:
            cloud.stop()
            okta.stop()


if __name__ == "__main__":
    main()
