"""Server time per page of the admin UI with a large directory and a long history.

    uv run python bench/ui_pages.py --users 10000 --runs 100 --requests 30

Set-up: the Okta emulator with `--users` people and an empty Jira emulator, each in its own process
through the real CLI (`idsync sandbox okta|jira`); a fresh SQLite store holding `--runs` runs of profile
`p` written through the store's own history API (the first run creates every user and adds each to a
group, `2 × users` items; the others hold `--items` updates and memberships each) and one stored plan
of `--users` items; an admin; then `idsync serve` in its own process. A client logs in through the
login form and asks for every page `--requests` times, one request at a time, after one warm-up
request per page.

Printed per page: p50, p95 and max of the time from sending the request to having read the whole
answer on loopback (what the server takes, plus well under a millisecond of loopback), and whether the
p95 is at most 200 ms. The JSON export of the largest run is a download, not a page: it is printed
separately and not judged. `--json` prints one JSON document. Every process started here is stopped
at the end, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from _common import start
from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Reason
from idsync.sandbox.common.server import free_port
from idsync.service.admins import add_admin
from idsync.store import Store
from idsync.store import plans as stored_plans

TARGET_P95_MS = 200.0
ADMIN, PASSWORD = "bench", "a long bench password"
CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: "{okta}", token: "{okta_token}"}}
  jira: {{type: jira, url: "{jira}", token: "{jira_token}", expires_at: 2099-01-01}}
  push: {{type: scim_inbound}}
profiles:
  p:
    source: okta
    targets: [jira]
    users: {{username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}}}
    groups: {{mode: on_the_fly}}
    schedule: {{interval: 1h}}
"""


def _item(action: Action, user: str, index: int, group: str | None = None) -> PlanItem:
    changes = (Change("email", None, f"{user}@example.com"),) if action is Action.CREATE_USER else ()
    if action is Action.UPDATE_USER:
        changes = (Change("display_name", f"User {index}", f"User {index} (renamed)"),)
    reason = Reason(
        "groups.on_the_fly" if group else "users.create", f"source user 00u{index:08d} is in scope"
    )
    return PlanItem(
        action, "jira", reason, user=user, source_id=f"00u{index:08d}", group=group, changes=changes
    )


def _plan(items: list[PlanItem], users: int) -> Plan:
    return Plan("p", datetime.now(UTC), tuple(items), "okta", users, 50)


def fill_history(store: Store, users: int, runs: int, per_run: int) -> dict[str, str]:
    """`runs` finished runs through the store's history API and one stored plan; returns ids to visit."""
    names = [f"user{i:05d}" for i in range(users)]
    first = [_item(Action.CREATE_USER, n, i) for i, n in enumerate(names)]
    first += [_item(Action.ADD_MEMBER, n, i, f"team-{i % 50}") for i, n in enumerate(names)]
    ids: dict[str, str] = {}
    for number in range(runs):
        if number == 0:
            items = first
        else:
            picked = [(i * 7919 + number * 104729) % users for i in range(per_run)]
            items = [
                _item(Action.UPDATE_USER, names[i], i) if k % 2
                else _item(Action.ADD_MEMBER, names[i], i, f"team-{(i + number) % 50}")
                for k, i in enumerate(picked)
            ]  # fmt: skip
        run_id = store.start_run("p", "schedule" if number % 3 else "ui")
        failed = {k for k in range(len(items)) if k % 97 == 5}  # about 1 % of the items failed
        results = [
            ItemResult(k, Outcome.FAILED, error="HTTP 400: bad request") if k in failed
            else ItemResult(k, Outcome.APPLIED)
            for k in range(len(items))
        ]  # fmt: skip
        store.finish_run(
            run_id, status="partial", plan=_plan(items, users), results=results, timings={"apply": 1.0}
        )
        ids.setdefault("big_run", run_id)
        ids["last_run"] = run_id
    ids["plan"] = stored_plans.save(store.engine, _plan(first, users))
    ids["person"] = names[42]
    return ids


@contextlib.contextmanager
def serving(config: Path, workdir: Path) -> Any:
    """`idsync serve` in its own process until the block ends."""
    cli = shutil.which("idsync", path=str(Path(sys.executable).parent)) or "idsync"
    port = free_port()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([cli, "serve", "--port", str(port), "--config", str(config)],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"idsync serve exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"idsync serve did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def log_in(client: httpx.Client) -> None:
    """Through the login form, as a browser does."""
    form = client.get("/ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    done = client.post("/ui/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"login failed: {done.status_code} {done.text[:300]}")


def measure(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    """p50 / p95 / max in ms of `requests` sequential GETs of `path` (after one warm-up)."""
    warm = client.get(path)
    if warm.status_code != 200:
        raise SystemExit(f"GET {path}: {warm.status_code} {warm.text[:500]}")
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = client.get(path)
        answer.read()
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": p95,
        "max_ms": times[-1],
        "bytes": len(warm.content),
    }


def run(args: argparse.Namespace, workdir: Path, say: Any) -> dict[str, Any]:
    """Set up, measure, return the figures."""
    okta_token, jira_token = "00" + secrets.token_urlsafe(30), secrets.token_urlsafe(33)
    say(f"starting the Okta emulator with {args.users} users and an empty Jira …")
    okta = start("okta", ["--users", str(args.users), "--groups", "50", "--seed", "3"], okta_token, workdir)
    jira = start("jira", ["--users", "0", "--projects", "0"], jira_token, workdir)
    try:
        config = workdir / "idsync.yaml"
        config.write_text(CONFIG.format(db=workdir / "idsync.db", okta=okta.url, jira=jira.url,
                                        okta_token=okta_token, jira_token=jira_token))  # fmt: skip
        say(f"writing {args.runs} runs into the store …")
        with Store.open(f"sqlite:///{workdir / 'idsync.db'}") as store:
            ids = fill_history(store, args.users, args.runs, args.items)
            add_admin(store, ADMIN, PASSWORD)
        someone = httpx.get(
            f"{okta.url}/api/v1/users", params={"limit": 1}, headers={"Authorization": f"SSWS {okta_token}"}
        )
        login = someone.json()[0]["profile"]["login"]
        pages = {
            "overview": "/ui/",
            "connections": "/ui/connections",
            "synchronize": "/ui/sync",
            f"plan ({args.users} items)": f"/ui/plans/{ids['plan']}",
            "history": "/ui/runs",
            "history filtered": "/ui/runs?profile=p&trigger=schedule&status=partial",
            f"run ({2 * args.users} items)": f"/ui/runs/{ids['big_run']}",
            "run, items of one user": f"/ui/runs/{ids['big_run']}?user={ids['person']}",
            "run, failed add_member": f"/ui/runs/{ids['big_run']}?action=add_member&outcome=failed",
            "run, last page": f"/ui/runs/{ids['big_run']}?offset={2 * args.users - 100}",
            "person timeline": f"/ui/people?user={ids['person']}",
            "test sync (Okta lookup)": f"/ui/test-sync?connection=okta&login={quote(login)}",
            "tokens": "/ui/tokens",
        }
        with serving(config, workdir) as url, httpx.Client(base_url=url, timeout=120) as client:
            log_in(client)
            say(f"measuring {len(pages)} pages, {args.requests} requests each …")
            figures = {name: measure(client, path, args.requests) for name, path in pages.items()}
            export = measure(client, f"/ui/runs/{ids['big_run']}/export.json", max(3, args.requests // 10))
    finally:
        okta.stop()
        jira.stop()
    worst = max(f["p95_ms"] for f in figures.values())
    return {"users": args.users, "runs": args.runs, "pages": figures, "export_json": export,
            "worst_p95_ms": worst, "target_p95_ms": TARGET_P95_MS, "ok": worst <= TARGET_P95_MS}  # fmt: skip


def print_result(result: dict[str, Any]) -> None:
    """A table of the figures."""
    print(f"admin UI pages, {result['users']} users in Okta, {result['runs']} runs in history (ms)")
    print(f"{'page':32} {'p50':>8} {'p95':>8} {'max':>8} {'KiB':>8}")
    for name, f in result["pages"].items():
        print(f"{name:32} {f['p50_ms']:8.1f} {f['p95_ms']:8.1f} {f['max_ms']:8.1f} {f['bytes'] / 1024:8.1f}")
    e = result["export_json"]
    name = "(download) run as JSON"
    print(f"{name:32} {e['p50_ms']:8.1f} {e['p95_ms']:8.1f} {e['max_ms']:8.1f} {e['bytes'] / 1024:8.1f}")
    verdict = "ok" if result["ok"] else "OVER"
    worst, target = result["worst_p95_ms"], result["target_p95_ms"]
    print(f"worst page p95 {worst:.1f} ms; target ≤ {target:.0f} ms: {verdict}")


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--items", type=int, default=200, help="items of each run after the first")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="idsync-ui-bench-") as tmp:
        result = run(args, Path(tmp), say)
    print(json.dumps(result, indent=2)) if args.json else print_result(result)


if __name__ == "__main__":
    main()
