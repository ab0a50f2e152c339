"""Fuzzing the SCIM inbox at nightly size: `idsync serve` in its own process through the real CLI,
hypothesis generating the requests of tests/server/scim_fuzz.py against both mounts over HTTP.

    uv run python bench/scim_fuzz.py --requests 10000 [--v1-share 0.25] [--seed N] [--json]

Set-up: a fresh SQLite store in a temporary directory, a config with the scim_inbound connections
`inbox` (max_body_bytes 65536) and `other`, tokens from `idsync scim token`, then the seed users and
groups POSTed over HTTP (scim_fuzz.seed). Every generated request is sent on one pooled keep-alive
connection (httpx) and judged as the suite judges it: below 500 except the RFC's 501 for /Me and
/Bulk, a JSON body, a SCIM Error message with `status` equal to the HTTP status and a scimType from
RFC 7644 §3.12 on every 4xx, the scimType the RFC assigns where the request makes it certain.

Prints requests per second, the count of answers by status, every answer ≥ 500 with the request that
caused it, every other broken rule (counted by kind, one example each), and the tracebacks the server
logged (an exception the server turned into a proper answer is still a bug). The exit status is 1 when
anything was found. The server is stopped at the end, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.server import scim_fuzz
from tests.server.scim_fuzz_requests import probes

from idsync.sandbox.common.server import free_port

MAX_BODY = 65_536
CONFIG = """
database: sqlite:///{store}
connections:
  inbox: {{type: scim_inbound, max_body_bytes: {max_body}}}
  other: {{type: scim_inbound}}
profiles: {{}}
"""


@dataclass
class Tally:
    """What the run saw."""

    sent: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    by_mount: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    """Answers >= 500 other than the RFC's 501 for /Me and /Bulk, with their requests."""
    not_implemented: int = 0
    """501 answers to /Me and /Bulk, which RFC 7644 §3.11 and §3.7 prescribe for an inbox without them."""
    problems: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    transport: collections.Counter[str] = field(default_factory=collections.Counter)


def idsync_cli() -> str:
    """The idsync console script of this environment."""
    found = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    if found is None:
        raise SystemExit("the idsync CLI is not installed in this environment (run: uv sync)")
    return found


def start_serve(workdir: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str], Path]:
    """`idsync serve` on a free port with a fresh store; (process, url, tokens, log)."""
    cli = idsync_cli()
    port = free_port()
    config = workdir / "idsync.yaml"
    config.write_text(CONFIG.format(store=workdir / "idsync.db", max_body=MAX_BODY))
    tokens = {
        name: subprocess.run(
            [cli, "scim", "token", name, "--config", str(config)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for name in ("inbox", "other")
    }
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [cli, "serve", "--port", str(port), "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"idsync serve exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url, tokens, log
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"idsync serve did not answer /healthz within 120 s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's clean stop), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def fuzz(args: argparse.Namespace, url: str, known: scim_fuzz.Known, tally: Tally) -> float:
    """Send `args.requests` generated requests; the seconds it took."""
    v1 = max(0, min(100, round(args.v1_share * 100)))
    mounts = st.sampled_from(["v1"] * v1 + ["v2"] * (100 - v1))

    with httpx.Client(base_url=url, timeout=120) as http:

        @settings(
            max_examples=args.requests,
            phases=[Phase.generate],
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def one(data: st.DataObject) -> None:
            version = data.draw(mounts)
            probe = data.draw(probes(known, version))
            tally.sent += 1
            tally.by_mount[version] += 1
            try:
                response = scim_fuzz.send(http, f"/scim/{version}/inbox", probe)
            except httpx.TransportError as exc:
                kind = f"transport {type(exc).__name__}"
                tally.transport[kind] += 1
                tally.examples.setdefault(kind, {"request": probe.describe(), "answer": str(exc)})
                return
            tally.by_status[response.status_code] += 1
            verdict = scim_fuzz.judge(probe, response.status_code, response.content)
            if response.status_code == 501 and probe.not_implemented:
                tally.not_implemented += 1
            elif response.status_code >= 500:
                tally.server_errors.append(
                    {
                        "status": response.status_code,
                        "request": probe.describe(2000),
                        "answer": response.text[:2000],
                    }
                )
            for problem in verdict.problems:
                kind = problem[:100]
                tally.problems[kind] += 1
                tally.examples.setdefault(kind, {"request": probe.describe(), "answer": response.text[:600]})

        if args.seed is not None:
            one = seed(args.seed)(one)
        started = time.perf_counter()
        one()
        return time.perf_counter() - started


def tracebacks(log: Path) -> list[str]:
    """The exceptions the server logged (each one's last line)."""
    lines = log.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            tail = next(
                (lines[j] for j in range(i + 1, len(lines)) if lines[j] and not lines[j][0].isspace()), ""
            )
            found.append(tail)
        elif '"traceback"' in line or '"exc_info"' in line or '"exception"' in line:
            found.append(line[:300])
    return found


def main() -> None:
    """Parse the options, run, print, exit 1 on any finding."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--requests", type=int, default=10_000, help="generated requests to send")
    parser.add_argument("--v1-share", type=float, default=0.25, help="share sent to the SCIM 1.1 mount")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (random when omitted)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="scim-fuzz-") as tmp:
        process, url, tokens, log = start_serve(Path(tmp))
        try:
            with httpx.Client(
                base_url=f"{url}/scim/v2/inbox", headers={"Authorization": f"Bearer {tokens['inbox']}"}
            ) as http:
                known = scim_fuzz.seed(http, tokens["inbox"], tokens["other"], MAX_BODY)
            seconds = fuzz(args, url, known, tally)
        finally:
            stop(process)
        logged = tracebacks(log)
    result = {
        "requests": tally.sent,
        "seconds": round(seconds, 1),
        "requests_per_second": round(tally.sent / seconds, 1) if seconds else None,
        "by_mount": dict(tally.by_mount),
        "by_status": {str(k): v for k, v in sorted(tally.by_status.items())},
        "responses_5xx": sum(n for status, n in tally.by_status.items() if status >= 500),
        "responses_501_rfc": tally.not_implemented,
        "server_errors": tally.server_errors,
        "transport_errors": dict(tally.transport),
        "problems": dict(tally.problems.most_common()),
        "examples": tally.examples,
        "server_tracebacks": logged,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    found = result["server_errors"] or tally.problems or tally.transport or logged
    sys.exit(1 if found else 0)


def report(result: dict[str, Any]) -> None:
    """The result, readable."""
    rate = result["requests_per_second"]
    print(f"{result['requests']} generated requests in {result['seconds']} s: {rate} requests/s")
    print(f"by mount: {result['by_mount']}")
    print("by status: " + ", ".join(f"{k}: {v}" for k, v in result["by_status"].items()))
    rfc = result["responses_501_rfc"]
    print(f"responses >= 500: {result['responses_5xx']} (of which the RFC's 501 for /Me and /Bulk: {rfc})")
    for error in result["server_errors"]:
        print(f"\n  {error['status']} for {error['request']}\n  → {error['answer'][:600]}")
    print(f"transport errors: {result['transport_errors'] or 0}")
    print(f"broken rules: {sum(result['problems'].values())}")
    for kind, n in result["problems"].items():
        example = result["examples"][kind]
        print(f"  {n} × {kind}\n      {example['request'][:700]}\n      → {example['answer'][:300]}")
    print(f"server tracebacks logged: {len(result['server_tracebacks'])}")
    for line in collections.Counter(result["server_tracebacks"]).most_common(10):
        print(f"  {line[1]} × {line[0][:200]}")


if __name__ == "__main__":
    main()
