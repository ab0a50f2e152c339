"""What the end-to-end sync benches share: emulators started through the real CLI in their own processes,
and one measured `Engine.run` (wall time, request counts per emulator, CPU, outcomes).

Used by bench/sync_okta_jira.py and bench/sync_okta_multi.py (run as scripts, so `bench/` is on
sys.path and this imports as `_common`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from idsync.config.model import IdsyncConfig
from idsync.domain.plan import Outcome
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.runtime import limit_malloc_arenas, release_memory, run_loop
from idsync.sandbox.common.server import free_port
from idsync.store import Store

READS = ("GET", "HEAD")


@dataclass
class Emulator:
    """One emulator process started through the real CLI."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    token: str
    log: Path

    def stats(self) -> dict[str, int]:
        """Requests served since the last reset, by "METHOD /route"."""
        return dict(httpx.get(f"{self.url}/_sandbox/stats", timeout=30).json())

    def reset_stats(self) -> None:
        """Zero the request counters."""
        httpx.delete(f"{self.url}/_sandbox/stats", timeout=30).raise_for_status()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        return cpu_seconds(self.process.pid)

    def memory_mib(self) -> dict[str, float]:
        """Peak and current RSS in MiB (/proc/PID/status VmHWM, VmRSS)."""
        return _vm_mib(Path(f"/proc/{self.process.pid}/status"))

    def stop(self) -> None:
        """SIGINT (uvicorn's clean stop), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, all its threads: Linux's /proc/PID/stat
    (proc(5)) holds them as utime and stime, in clock ticks, the 14th and 15th fields (counted after
    the command name in parentheses, which may itself hold spaces)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.5: the median) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _vm_mib(status: Path) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in status.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values["peak" if key == "VmHWM" else "now"] = int(rest.split()[0]) / 1024
    return values


def start(name: str, args: list[str], token: str, workdir: Path, *, tag: str | None = None) -> Emulator:
    """`idsync sandbox NAME ARGS` in its own session; waits until it answers /_sandbox/stats. `tag`
    names the log file when one bench starts the same emulator more than once."""
    executable = shutil.which("idsync", path=str(Path(sys.executable).parent)) or shutil.which("idsync")
    if executable is None:
        raise SystemExit("the idsync CLI is not installed in this environment (run: uv sync)")
    port = free_port()
    log = workdir / f"{tag or name}.log"
    command = [executable, "sandbox", name, "--port", str(port), "--token", token, *args]
    with log.open("wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    emulator = Emulator(name, process, f"http://127.0.0.1:{port}", token, log)
    deadline = time.monotonic() + 600  # generating a large org takes a while on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {name} emulator exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{emulator.url}/_sandbox/stats", timeout=2).status_code == 200:
                return emulator
        time.sleep(0.2)
    emulator.stop()
    raise SystemExit(f"the {name} emulator did not answer within 600 s; see {log}")


def add_okta_org_arguments(parser: argparse.ArgumentParser) -> None:
    """The size of the Okta org the emulator generates, as the Okta benches take it."""
    parser.add_argument("--users", type=int, default=10_000, help="Okta users to generate")
    parser.add_argument("--groups", type=int, default=1_000, help="Okta groups to generate (+ Everyone)")
    parser.add_argument("--memberships", type=int, default=200_000, help="about this many memberships")


def start_okta(args: argparse.Namespace, workdir: Path, rate_limit: int | None) -> Emulator:
    """The Okta emulator with the org of `add_okta_org_arguments` (and the bench's `--seed` and
    `--latency-ms`); `rate_limit`: requests per minute in every bucket (None or 0: Okta's documented
    defaults)."""
    okta_args = ["--users", str(args.users), "--groups", str(args.groups), "--memberships",
                 str(args.memberships), "--seed", str(args.seed), "--latency-ms", str(args.latency_ms)]
    if rate_limit:
        okta_args += ["--rate-limit", str(rate_limit)]
    return start("okta", okta_args, "00" + secrets.token_urlsafe(30), workdir)


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    seconds: float
    status: str
    items: int
    outcomes: dict[str, int]
    timings: dict[str, float]
    requests: dict[str, dict[str, int]]
    """Per emulator: requests served by "METHOD /route"."""
    cpu: dict[str, float]
    """CPU seconds: "engine" (this process) and each emulator by name."""
    load: tuple[float, float, float]
    extra: dict[str, Any] = field(default_factory=dict)

    def writes(self, side: str) -> int:
        """Non-GET requests one emulator served in this phase."""
        return sum(n for key, n in self.requests[side].items() if not key.startswith(READS))

    @property
    def applied(self) -> int:
        """Plan items applied."""
        return self.outcomes.get("applied", 0)


class Bench:
    """The engine with its config and store, and the emulators it talks to (source and targets)."""

    def __init__(
        self,
        config: IdsyncConfig,
        profile: str,
        store_url: str,
        emulators: Mapping[str, Emulator],
        *,
        asyncio_loop: bool = False,
    ) -> None:
        # the phases run in one process, as runs do in an `idsync serve` worker: limited as it is
        limit_malloc_arenas()
        self.config = config
        self.profile = profile
        self.store = Store.open(store_url)
        self.emulators = dict(emulators)
        self.asyncio_loop = asyncio_loop
        """Run the engine on asyncio's own loop, not on uvloop as idsync's commands do (idsync.runtime)."""

    def phase(self, name: str, *, profile: Path | None = None) -> Phase:
        """One `idsync sync` of the bench profile, measured. `profile`: write a cProfile there."""
        # what the previous phase freed goes back to the system first, as an `idsync serve` worker
        # does after each run (idsync.runtime.release_memory): the phase's peak is then its own
        release_memory()
        for emulator in self.emulators.values():
            emulator.reset_stats()
        cpu_before = self._cpu()
        peak_resettable = reset_engine_peak()
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        with RssSampler() as rss:
            report = self._run(Engine(self.config, self.store).run(RunRequest(self.profile, trigger="bench")))
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds = time.perf_counter() - started
        cpu_after = self._cpu()
        if report.error:
            print(f"{name}: the run failed: {report.error}", file=sys.stderr)
        outcomes: dict[str, int] = {}
        applied_by_target: dict[str, int] = {}
        for result in report.results:
            outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
            if result.outcome is Outcome.APPLIED and report.plan is not None:
                target = report.plan.items[result.index].target
                applied_by_target[target] = applied_by_target.get(target, 0) + 1
        return Phase(
            name,
            seconds,
            report.status.value,
            len(report.plan.items) if report.plan else 0,
            outcomes,
            {k: round(v, 3) for k, v in report.timings.items()},
            {side: emulator.stats() for side, emulator in self.emulators.items()},
            {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after},
            os.getloadavg(),
            {
                "plan": dict(report.plan.counts()) if report.plan else {},
                "applied_by_target": applied_by_target,
                "failed": failures(report),
                "retries": sum(max(0, r.attempts - 1) for r in report.results),
                # The phase's own peak where the kernel lets it be reset; else the process's so far.
                "engine_peak_mib": round(engine_peak_mib(), 1),
                "peak_of": "phase" if peak_resettable else "process",
                "rss_by_stage_mib": rss.by_stage(report.timings),
                "cpu_by_stage_s": rss.cpu_by_stage(report.timings),
            },
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _run(self, coro: Any) -> RunReport:
        if self.asyncio_loop:
            return asyncio.run(coro)  # type: ignore[no-any-return]
        return run_loop(coro)  # type: ignore[no-any-return]

    def _cpu(self) -> dict[str, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        cpu = {"engine": own.ru_utime + own.ru_stime}
        cpu.update({side: emulator.cpu_seconds() for side, emulator in self.emulators.items()})
        return cpu


def failures(report: RunReport) -> list[str]:
    """The first few failed items, readable."""
    return [f"{item.action} {item.subject}: {result.error}" for item, result in report.failed()[:5]]


class RssSampler:
    """This process's RSS and CPU time every `every` seconds on a thread, to tell which stage of a run
    holds the peak and spends the CPU: `by_stage` takes the largest sample inside each stage's window of
    the run's own timings, `cpu_by_stage` the CPU seconds (all threads: the store's writes run in
    threads) between a window's first and last samples."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.samples: list[tuple[float, float, float]] = []
        """(seconds since start, RSS MiB, process CPU seconds)"""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.started = time.perf_counter()
        self.samples.append((0.0, 0.0, time.process_time()))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter() - self.started, 0.0, time.process_time()))

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE") / 2**20
        statm = Path("/proc/self/statm")
        while not self._stop.wait(self.every):
            with contextlib.suppress(OSError, IndexError, ValueError):
                rss = int(statm.read_text().split()[1]) * page
                self.samples.append((time.perf_counter() - self.started, rss, time.process_time()))

    @staticmethod
    def _windows(timings: Mapping[str, float]) -> list[tuple[str, float, float]]:
        """Each top-level stage's (name, start, end) in seconds since the run began, then "after"."""
        windows: list[tuple[str, float, float]] = []
        start = 0.0
        for name, seconds in timings.items():
            if "." not in name:
                windows.append((name, start, start + seconds))
                start += seconds
        windows.append(("after", start, float("inf")))
        return windows

    def by_stage(self, timings: Mapping[str, float]) -> dict[str, float]:
        """Peak RSS (MiB) per top-level stage, in the run's order, then "after" (history, links)."""
        peaks = {}
        for name, begin, end in self._windows(timings):
            inside = [rss for t, rss, _ in self.samples if begin <= t < end and rss]
            if inside:
                peaks[name] = round(max(inside), 1)
        return peaks

    def cpu_by_stage(self, timings: Mapping[str, float]) -> dict[str, float]:
        """CPU seconds of this process per top-level stage (to within one sampling interval), then
        "after"."""
        spent = {}
        for name, begin, end in self._windows(timings):
            inside = [cpu for t, _, cpu in self.samples if begin <= t <= end]
            if len(inside) > 1:
                spent[name] = round(inside[-1] - inside[0], 2)
        return spent


def engine_peak_mib() -> float:
    """Peak RSS of this process in MiB: VmHWM (which reset_engine_peak can lower), else ru_maxrss."""
    with contextlib.suppress(OSError, KeyError):
        return _vm_mib(Path("/proc/self/status"))["peak"]
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_engine_peak() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux: `5` into /proc/self/clear_refs), so the
    next engine_peak_mib covers only what follows. False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def print_requests(phase: Phase, sides: list[str] | None = None, indent: str = "   ") -> None:
    """Requests per emulator by method and route, most frequent first."""
    for side in sides or list(phase.requests):
        served = phase.requests[side]
        total = sum(served.values())
        print(f"{indent}{side}: {total} requests ({phase.writes(side)} writes)")
        width = max((len(k) for k in served), default=0)
        for key, n in sorted(served.items(), key=lambda kv: -kv[1]):
            print(f"{indent}  {key:<{width}}  {n:>8}")


def print_phase(phase: Phase) -> None:
    """A readable block for one phase."""
    load = " ".join(f"{x:.2f}" for x in phase.load)
    print(f"\n== {phase.name}: {phase.seconds:.1f} s, {phase.status}, {phase.items} items {phase.outcomes}")
    print(f"   run timings: {phase.timings}")
    print(f"   CPU seconds: {phase.cpu}   load average: {load}")
    if "engine_peak_mib" in phase.extra:
        print(f"   engine peak RSS ({phase.extra['peak_of']}): {phase.extra['engine_peak_mib']} MiB; "
              f"by stage: {phase.extra.get('rss_by_stage_mib')}")
    if phase.extra.get("cpu_by_stage_s"):
        print(f"   engine CPU seconds by stage: {phase.extra['cpu_by_stage_s']}")
    if phase.extra.get("plan"):
        print(f"   plan: {phase.extra['plan']}")
    for failure in phase.extra.get("failed", []):
        print(f"   failed: {failure}")
    if "changes" in phase.extra:
        print(f"   changes made in Okta first: {phase.extra['changes']}")
    print_requests(phase)
