"""Okta Event Hooks: how long an Okta change takes to be written in Jira, p50 / p95
(goal: p95 ≤ 2 s including Okta's batching).

    uv run python bench/event_hooks.py --users 20 --changes 20 --batch-ms 50 --latency-ms 10

The Okta and Jira emulators run in this process (each in its own server thread, so the bench can
watch Jira's state without sending requests); `idsync serve` runs in its own process through the real
CLI, and the hook is registered, verified and activated by the real `idsync check --register-hooks`.
After an initial full sync, each measured change is one profile update sent to Okta's API; the clock
starts before that request and stops when the Jira emulator holds the new display name. The path in
between: the System Log event, the emulator's batching (`--batch-ms`; real Okta batches for its own
reasons and may take longer), the delivery POST, the receiver's 200, the single-user run (read the
user and their groups from Okta, read and update the Jira user). Changes are sequential: this is
latency, not throughput. `--latency-ms` is added to every request on both emulators once the
initial sync is done. Prints the figures; `--json` prints them as one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from idsync.config.loader import parse_config
from idsync.engine.run import Engine, RunRequest
from idsync.sandbox.atlassian.jira.app import create_app as create_jira
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.common.server import free_port, serve_in_thread
from idsync.sandbox.okta.app import create_app as create_okta
from idsync.sandbox.okta.options import OktaOptions
from idsync.store import Store

CONFIG = """
database: sqlite:///{store}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{BENCH_OKTA_TOKEN}}
    event_hooks:
      secret: ${{BENCH_HOOK_SECRET}}
  jira: {{type: jira, url: "{jira_url}", token: "${{BENCH_JIRA_TOKEN}}"}}
profiles:
  hooks:
    source: okta
    targets: [jira]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups: {{mode: on_the_fly, include: ["^team-"]}}
    safety: {{protected_users: [admin]}}
"""


def _cli() -> str:
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    if found is None:
        raise SystemExit("the idsync CLI is not installed in this environment (run: uv sync)")
    return found


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(users: int, changes: int, batch_ms: float, latency_ms: float, workdir: Path) -> dict[str, Any]:
    """Set everything up, measure `changes` Okta → Jira changes, tear down; the figures."""
    okta = create_okta(OktaOptions(users=0, groups=0, apps=0, hook_batch_ms=batch_ms))
    jira = create_jira(JiraOptions(users=0, projects=0))
    okta_server, jira_server = serve_in_thread(okta.app), serve_in_thread(jira.app)
    env = {**os.environ, "BENCH_OKTA_TOKEN": okta.token, "BENCH_JIRA_TOKEN": jira.token,
           "BENCH_HOOK_SECRET": secrets.token_hex(24)}  # fmt: skip
    text = CONFIG.format(store=workdir / "bench.db", okta_url=okta_server.url, jira_url=jira_server.url)
    config_path = workdir / "idsync.yaml"
    config_path.write_text(text)
    ids: list[str] = []
    with httpx.Client(base_url=okta_server.url, headers={"Authorization": f"SSWS {okta.token}"}) as api:
        group = api.post("/api/v1/groups", json={"profile": {"name": "team-bench"}}).json()["id"]
        for index in range(users):
            login = f"person{index}@example.com"
            profile = {"login": login, "email": login, "firstName": "Person", "lastName": str(index)}
            body = {"profile": profile, "credentials": {"password": {"value": "Bench-pw-1234"}}}
            ids.append(api.post("/api/v1/users", json=body).json()["id"])
            api.put(f"/api/v1/groups/{group}/users/{ids[-1]}").raise_for_status()
    config = parse_config(text, name=str(config_path), base_dir=workdir, env=env)
    with Store.open(config.database) as store:
        asyncio.run(Engine(config, store).run(RunRequest("hooks")))
    for sandbox in (okta, jira):
        sandbox.control.faults.latency_ms = latency_ms

    port = free_port()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        command = [_cli(), "serve", "--port", str(port), "--config", str(config_path)]
        serve = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"idsync serve did not start:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        checked = subprocess.run([_cli(), "check", "--register-hooks", url, "--config", str(config_path)],
                                 capture_output=True, text=True, env=env, check=False)  # fmt: skip
        if checked.returncode != 0:
            raise SystemExit(f"registering the hook failed:\n{checked.stdout}{checked.stderr}")
        with httpx.Client(base_url=okta_server.url, headers={"Authorization": f"SSWS {okta.token}"}) as api:
            for change in range(changes):
                index = change % users
                wanted = f"Person Changed{change}"
                started = time.perf_counter()
                api.post(f"/api/v1/users/{ids[index]}", json={"profile": {"lastName": f"Changed{change}"}})
                give_up = time.monotonic() + 60
                while True:
                    user = jira.state.user_by_name(f"person{index}")
                    if user is not None and user.display_name == wanted:
                        break
                    if time.monotonic() > give_up:
                        raise SystemExit(f"change {change} never reached Jira; see {log}")
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - started)
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        okta_server.stop()
        jira_server.stop()
    runs = [line for line in metrics.splitlines() if line.startswith("idsync_runs_total{")]
    return {
        "users": users,
        "changes": changes,
        "batch_ms": batch_ms,
        "latency_ms": latency_ms,
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(_percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "runs": runs,
        "load": os.getloadavg(),
    }


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20, help="People in Okta (and Jira).")
    parser.add_argument("--changes", type=int, default=20, help="Measured Okta changes.")
    parser.add_argument("--batch-ms", type=float, default=50.0, help="The Okta emulator's hook batching.")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="Added to every emulator request.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="idsync-bench-hooks-") as workdir:
        figures = run(args.users, args.changes, args.batch_ms, args.latency_ms, Path(workdir))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"Okta change → Jira write, {figures['changes']} sequential changes, {figures['users']} people, "
          f"Okta batching {figures['batch_ms']:g} ms, {figures['latency_ms']:g} ms per emulator request")
    print(f"  p50 {figures['p50_s']:.3f} s   p95 {figures['p95_s']:.3f} s   max {figures['max_s']:.3f} s"
          f"   (goal: p95 ≤ 2 s)")  # fmt: skip
    for line in figures["runs"]:
        print(f"  {line}")
    print("  load average: " + " ".join(f"{x:.2f}" for x in figures["load"]))


if __name__ == "__main__":
    main()
