"""Sync at login: p50 / p95 of `POST /api/v1/profiles/{profile}/users/{login}/sync` against
`idsync serve`, with latency on both emulators (goal: p95 ≤ 300 ms at 10 ms per request).

    uv run python bench/login_sync.py --users 200 --calls 50 --latency-ms 10

The Okta and Jira emulators run in their own processes through the real CLI, and so does `idsync
serve`. After an initial full sync (without latency), each measured call is preceded by a change to
that person in Okta (a new display name), so every call reads the person and their groups from Okta,
reads their Jira account and memberships, and writes the update: the path a login takes when the IdP
changed something since the last sync. A second series calls again for people with nothing to change.
Calls are sequential, one person after another (a login is one person's request). Prints the figures;
`--json` prints them as one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _common import Emulator, percentile, start
from idsync.sandbox.common.server import free_port
from idsync.service.context import open_store
from idsync.service.tokens import create_api_token

PROFILE = "login"
CONFIG = """
database: sqlite:///{store}
connections:
  okta: {{type: okta, url: "{okta_url}", token: "${{BENCH_OKTA_TOKEN}}"}}
  jira: {{type: jira, url: "{jira_url}", token: "${{BENCH_JIRA_TOKEN}}"}}
profiles:
  {profile}:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
      default_groups: {{new_users: [jira-software-users]}}
    safety: {{max_deactivations: 1000000, max_deactivation_percent: 100, max_membership_removals: 1000000}}
"""


def _figures(samples: list[float]) -> dict[str, float]:
    return {
        "calls": len(samples),
        "p50_ms": round(percentile(samples, 0.50), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
        "mean_ms": round(statistics.fmean(samples), 1),
    }


def _serve(config: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    executable = str(Path(sys.executable).parent / "idsync")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [executable, "serve", "--port", str(port), "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"idsync serve exited:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        time.sleep(0.2)
    raise SystemExit(f"idsync serve did not answer /healthz; see {log}")


def _people(okta: Emulator, count: int, seed: int) -> list[tuple[str, str]]:
    """(id, login) of `count` active Okta people, chosen with `seed`."""
    headers = {"Authorization": f"SSWS {okta.token}"}
    with httpx.Client(base_url=okta.url, headers=headers, timeout=60) as client:
        found: list[tuple[str, str]] = []
        url: str | None = "/api/v1/users?limit=200"
        while url:
            response = client.get(url)
            response.raise_for_status()
            found += [(u["id"], u["profile"]["login"]) for u in response.json() if u["status"] == "ACTIVE"]
            url = response.links.get("next", {}).get("url")
    random.Random(seed).shuffle(found)
    return found[:count]


def main() -> None:
    """Parse the arguments, set up, measure, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200, help="People in the Okta emulator.")
    parser.add_argument("--groups", type=int, default=20, help="Groups in the Okta emulator.")
    parser.add_argument("--calls", type=int, default=50, help="Measured calls per series.")
    parser.add_argument(
        "--latency-ms", type=float, default=10.0, help="Latency per request on both emulators."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="idsync-bench-login-"))
    okta_token, jira_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    okta = start("okta", ["--users", str(args.users), "--groups", str(args.groups), "--apps", "0",
                          "--seed", str(args.seed)], okta_token, workdir)  # fmt: skip
    jira = start("jira", ["--users", "0", "--projects", "1"], jira_token, workdir)
    serve: subprocess.Popen[bytes] | None = None
    try:
        config = workdir / "idsync.yaml"
        config.write_text(CONFIG.format(store=workdir / "idsync.db", okta_url=okta.url, jira_url=jira.url,
                                        profile=PROFILE))  # fmt: skip
        env = {**os.environ, "BENCH_OKTA_TOKEN": okta_token, "BENCH_JIRA_TOKEN": jira_token}
        executable = str(Path(sys.executable).parent / "idsync")
        initial = subprocess.run([executable, "sync", PROFILE, "--yes", "--json", "--config", str(config)],
                                 capture_output=True, text=True, env=env, check=False)  # fmt: skip
        if initial.returncode != 0:
            raise SystemExit(f"the initial sync failed:\n{initial.stderr[-2000:]}")
        with open_store(config) as store:
            token = create_api_token(store, "bench").token
        for emulator in (okta, jira):
            httpx.put(f"{emulator.url}/_sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=30)
        serve, url = _serve(config, env, workdir / "serve.log")
        people = _people(okta, args.calls, args.seed)
        okta_api = httpx.Client(
            base_url=okta.url, headers={"Authorization": f"SSWS {okta_token}"}, timeout=60
        )
        api = httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        changed: list[float] = []
        unchanged: list[float] = []
        statuses: dict[str, int] = {}
        for number, (uid, login) in enumerate(people):
            okta_api.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": f"Logged In {number}"}})
            clock = time.perf_counter()
            answer = api.post(f"/profiles/{PROFILE}/users/{login}/sync")
            changed.append((time.perf_counter() - clock) * 1000)
            status = answer.json().get("status", str(answer.status_code))
            statuses[status] = statuses.get(status, 0) + 1
        for _uid, login in people:
            clock = time.perf_counter()
            api.post(f"/profiles/{PROFILE}/users/{login}/sync").raise_for_status()
            unchanged.append((time.perf_counter() - clock) * 1000)
        result: dict[str, Any] = {
            "users": args.users, "groups": args.groups, "latency_ms": args.latency_ms,
            "changed": _figures(changed), "unchanged": _figures(unchanged), "statuses": statuses,
        }  # fmt: skip
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"login sync, {args.users} people, {args.latency_ms:g} ms latency on Okta and Jira")
            for series in ("changed", "unchanged"):
                f = result[series]
                print(f"  {series:9} {f['calls']} calls: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, "
                      f"max {f['max_ms']} ms, mean {f['mean_ms']} ms")  # fmt: skip
            print(f"  statuses of the changed series: {statuses}")
    finally:
        if serve is not None and serve.poll() is None:
            serve.terminate()
            serve.wait(timeout=30)
        okta.stop()
        jira.stop()


if __name__ == "__main__":
    main()
