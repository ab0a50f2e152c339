"""How long a full read of a large Okta org takes under Okta's documented default rate limits.

    uv run python bench/okta_full_read.py --users 150000 --groups 5000 --memberships 750000

An incremental run asks Okta for a few dozen pages; a full read (the first run, `idsync sync
--full-read`, and at least every `full_read_every_hours`) lists every user and reads every group's
members, and at 150,000 people that is thousands of requests, most of them in one rate-limit bucket.
This bench starts the Okta emulator through the real CLI (`idsync sandbox okta`) at its default
per-endpoint limits (the Workforce column of Okta's table; `--rate-limit N` sets every bucket to N a
minute instead) and reads it once through idsync's Okta source, as a full read does. It prints the
wall time, the requests by route, how many 429 answers idsync waited out, and the source's CPU time.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from _common import add_okta_org_arguments, start_okta
from idsync.config.connections import OktaConnection
from idsync.config.loader import parse_config
from idsync.connectors import build_source
from idsync.runtime import run_loop
from idsync.sources.okta.source import OktaSource

CONFIG = """
connections:
  okta:
    type: okta
    url: {url}
    token: ${{BENCH_OKTA_TOKEN}}
{concurrency}profiles: {{}}
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def full_read(url: str, token: str, concurrency: int | None) -> dict[str, object]:
    """One full read through idsync's Okta source: seconds, CPU, 429s waited out, what it read."""
    extra = f"    concurrency: {concurrency}\n" if concurrency else ""
    config = parse_config(CONFIG.format(url=url, concurrency=extra), env={"BENCH_OKTA_TOKEN": token})
    connection, source = config.connections["okta"], build_source(config, "okta")
    assert isinstance(connection, OktaConnection) and isinstance(source, OktaSource)
    cpu, clock = _cpu(), time.perf_counter()
    try:
        snapshot = await source.read()
    finally:
        await source.aclose()
    return {
        "seconds": round(time.perf_counter() - clock, 1),
        "engine_cpu_s": round(_cpu() - cpu, 1),
        "rate_limited": source.rate_limited,
        "users": len(snapshot.users),
        "groups": len(snapshot.groups),
        "memberships": sum(len(g.member_ids) for g in snapshot.groups.values()),
        "concurrency": connection.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_okta_org_arguments(parser)
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency the emulator adds")
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="requests per minute in every bucket (0: Okta's documented defaults)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the Okta connection's concurrency (default: idsync's own default)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated org")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        okta = start_okta(args, Path(workdir), args.rate_limit)
        try:
            okta.reset_stats()
            result = run_loop(full_read(okta.url, okta.token, args.concurrency))
            requests = {route: count for route, count in sorted(okta.stats().items()) if count}
        finally:
            okta.stop()
    limits = f"{args.rate_limit}/min in every bucket" if args.rate_limit else "Okta's documented defaults"
    if args.json:
        print(json.dumps({**result, "rate_limits": limits, "requests": requests}, indent=2))
        return
    print(f"full read of {result['users']:,} users, {result['groups']:,} groups, "
          f"{result['memberships']:,} memberships at {limits}, concurrency {result['concurrency']}, "
          f"{args.latency_ms:g} ms latency")
    print(f"  {result['seconds']} s, {result['rate_limited']} answers 429 waited out, "
          f"{result['engine_cpu_s']} s of idsync's CPU")
    for route, count in sorted(requests.items(), key=lambda pair: -pair[1]):
        print(f"  {count:>7,}  {route}")


if __name__ == "__main__":
    main()
