"""Okta into Jira + Confluence + Bitbucket in one run, against Okta into Jira alone, in one bench run.

    uv run python bench/sync_okta_multi.py --users 10000 --groups 1000 --memberships 200000 \\
        --latency-ms 10 --concurrency 32

The figure for: the three-target initial sync takes at most 1.5× (`--max-ratio`) the Jira-only one.

Every emulator runs in its own process through the real CLI (`idsync sandbox okta|jira|confluence|
bitbucket`), each adding `--latency-ms` to every request; the engine runs in this process exactly as
`idsync sync` does (`Engine.run`). Two configurations, each with fresh target emulators (empty but for
their admin and standard groups) and a fresh SQLite store; the Okta emulator is shared, since a sync
only reads it:

(a) `jira`:  a profile with `targets: [jira]`;
(b) `multi`: the same profile with `targets: [jira, confluence, bitbucket]`.

Each configuration runs an initial sync, then a no-op resync (which must make zero writes). The profile
syncs every user and group on the fly, with a custom attribute (written to Jira only: Confluence and
Bitbucket have no place for one). A profile has one `groups` section shared by its targets, so the
default groups for new users are the same in every target: `jira-software-users` (Jira's application
access) and `stash-users` (Bitbucket's licence-granting group, seeded by its emulator; idsync creates
users with addToDefaultGroup=false, so the plan must give it). Hence Jira and Confluence also get a
`stash-users` group and Confluence and Bitbucket a `jira-software-users` group, each holding every new
user — accepted here, as it would be in a real profile without per-target groups. Configuration (a)
uses the very same groups section, so the only difference between the two runs is the target list.

Printed: wall time per phase per configuration, the ratio (b)/(a) of the initial syncs and whether it
is within `--max-ratio`, requests each emulator served by method and route (GET /_sandbox/stats, zeroed
before each phase), items applied per target, engine CPU seconds and CPU per applied item, and peak
RSS of the engine per configuration (VmHWM, reset to the current RSS before each configuration, so
the second one starts from the heap the first left) and of each emulator.
`--json` prints one JSON document instead. `--profile PREFIX` writes a cProfile of each initial sync
to PREFIX-jira.prof and PREFIX-multi.prof. The emulators stop at the end, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    Bench,
    Emulator,
    Phase,
    add_okta_org_arguments,
    engine_peak_mib,
    print_requests,
    reset_engine_peak,
    start,
    start_okta,
)
from idsync.config.loader import parse_config

PROFILE = "bench"
TARGETS = {"jira": ["jira"], "multi": ["jira", "confluence", "bitbucket"]}
LABELS = {"jira": "Jira alone", "multi": "Jira + Confluence + Bitbucket"}
CONNECTION = """
  {name}:
    type: {name}
    url: {url}
    token: ${{BENCH_{upper}_TOKEN}}
    concurrency: {concurrency}"""
CONFIG = """
database: {store}
connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{BENCH_OKTA_TOKEN}}
    concurrency: {okta_concurrency}{targets_connections}
profiles:
  {profile}:
    source: okta
    targets: [{targets}]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes: {{department: department}}
    groups:
      mode: on_the_fly
      default_groups: {{new_users: [jira-software-users, stash-users]}}
    leads: {{default_project_lead: admin, default_component_lead: admin}}
    safety:
      max_deactivations: 1000000
      max_deactivation_percent: 100
      max_membership_removals: 10000000
      protected_users: [admin]
      protected_groups: [jira-administrators, confluence-administrators, bitbucket-administrators]
"""


@dataclass
class Configuration:
    """One configuration's phases and memory."""

    key: str
    targets: list[str]
    phases: list[Phase] = field(default_factory=list)
    memory: dict[str, float] = field(default_factory=dict)
    engine_peak_reset: bool = False
    """Whether the engine's peak RSS covers this configuration only (else the whole process so far)."""

    @property
    def initial(self) -> Phase:
        return self.phases[0]

    @property
    def noop(self) -> Phase:
        return self.phases[1]

    def target_writes(self, phase: Phase) -> int:
        return sum(phase.writes(t) for t in self.targets)

    def as_json(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "phases": [
                p.__dict__
                | {
                    "writes": {side: p.writes(side) for side in p.requests},
                    "applied": p.applied,
                    "engine_cpu_ms_per_applied_item": _per_item_ms(p),
                }
                for p in self.phases
            ],
            "memory_mib": self.memory,
            "engine_peak_this_configuration_only": self.engine_peak_reset,
        }


def _per_item_ms(phase: Phase) -> float | None:
    return round(1000 * phase.cpu["engine"] / phase.applied, 3) if phase.applied else None


def concurrency(args: argparse.Namespace, target: str) -> int:
    """The connection concurrency of one target (its own option, else --concurrency)."""
    own: int | None = getattr(args, f"{target}_concurrency")
    return own if own is not None else int(args.concurrency)


def make_bench(
    args: argparse.Namespace, okta: Emulator, targets: dict[str, Emulator], store_url: str
) -> Bench:
    """The engine with a config whose profile syncs Okta into `targets`, its store and the emulators."""
    connections = "".join(
        CONNECTION.format(
            name=name, upper=name.upper(), url=emulator.url, concurrency=concurrency(args, name)
        )
        for name, emulator in targets.items()
    )
    text = CONFIG.format(
        store=store_url,
        okta_url=okta.url,
        okta_concurrency=args.okta_concurrency,
        targets_connections=connections,
        targets=", ".join(targets),
        profile=PROFILE,
    )
    env = {"BENCH_OKTA_TOKEN": okta.token} | {f"BENCH_{n.upper()}_TOKEN": e.token for n, e in targets.items()}
    emulators = {"okta": okta} | targets
    return Bench(parse_config(text, env=env), PROFILE, store_url, emulators, asyncio_loop=args.asyncio_loop)


@contextlib.contextmanager
def target_emulators(
    args: argparse.Namespace, names: list[str], workdir: Path, key: str
) -> Iterator[dict[str, Emulator]]:
    """Fresh target emulators (only their admin and standard groups), stopped on the way out."""
    common = ["--users", "0", "--seed", str(args.seed), "--latency-ms", str(args.latency_ms)]
    extra = {"jira": ["--projects", "0"], "confluence": [], "bitbucket": []}
    started: dict[str, Emulator] = {}
    try:
        for name in names:
            token = secrets.token_urlsafe(33)
            started[name] = start(name, [*common, *extra[name]], token, workdir, tag=f"{key}-{name}")
        yield started
    finally:
        for emulator in started.values():
            emulator.stop()


@contextlib.contextmanager
def okta_emulator(args: argparse.Namespace, workdir: Path) -> Iterator[Emulator]:
    """The source, generated once for both configurations."""
    okta = start_okta(args, workdir, args.okta_rate_limit)
    try:
        yield okta
    finally:
        okta.stop()


def run_configuration(
    args: argparse.Namespace, key: str, okta: Emulator, workdir: Path, say: Any
) -> Configuration:
    """Fresh target emulators and store, then the initial sync and the no-op resync."""
    config = Configuration(key, TARGETS[key])
    with target_emulators(args, config.targets, workdir, key) as targets:
        bench = make_bench(args, okta, targets, f"sqlite:///{workdir}/{key}.db")
        try:
            peak_reset = reset_engine_peak()
            profile = Path(f"{args.profile}-{key}.prof") if args.profile else None
            config.phases.append(bench.phase(f"{key}: initial sync", profile=profile))
            initial = config.initial
            say(f"{LABELS[key]}: initial sync {initial.seconds:.1f} s, {initial.applied} applied")
            config.phases.append(bench.phase(f"{key}: no-op resync"))
            say(
                f"{LABELS[key]}: no-op resync {config.noop.seconds:.1f} s, "
                f"{config.target_writes(config.noop)} target writes"
            )
            config.memory["engine_peak"] = round(engine_peak_mib(), 1)
            config.engine_peak_reset = peak_reset
            for name, emulator in targets.items():
                config.memory[f"{name}_peak"] = round(emulator.memory_mib().get("peak", 0.0), 1)
        finally:
            bench.close()
    return config


def print_report(
    configs: dict[str, Configuration], okta_memory: dict[str, float], ratio: float, max_ratio: float
) -> None:
    """The tables: per configuration and phase, then requests per target by endpoint."""
    header = (
        f"{'configuration':<30} {'phase':<8} {'wall s':>8} {'applied':>8} {'target writes':>13} "
        f"{'engine CPU s':>12} {'CPU ms/item':>11} {'status':<11}"
    )
    print("\n" + header)
    print("-" * len(header))
    for config in configs.values():
        for label, phase in (("initial", config.initial), ("no-op", config.noop)):
            per_item = _per_item_ms(phase)
            print(
                f"{LABELS[config.key]:<30} {label:<8} {phase.seconds:>8.1f} {phase.applied:>8} "
                f"{config.target_writes(phase):>13} {phase.cpu['engine']:>12.2f} "
                f"{'-' if per_item is None else f'{per_item:.3f}':>11} {phase.status:<11}"
            )
    verdict = "yes" if ratio <= max_ratio else "NO"
    print(f"\ninitial sync, three targets / Jira alone: {ratio:.2f}× (≤ {max_ratio}: {verdict})")
    noop_ok = all(c.target_writes(c.noop) == 0 for c in configs.values())
    print(f"no-op resyncs made zero writes: {'yes' if noop_ok else 'NO'}")
    for config in configs.values():
        applied = config.initial.extra.get("applied_by_target", {})
        print(f"applied per target, {LABELS[config.key]}: {applied}")
        for failure in config.initial.extra.get("failed", []) + config.noop.extra.get("failed", []):
            print(f"  failed: {failure}")
    print("\npeak RSS (MiB):")
    for config in configs.values():
        scope = "" if config.engine_peak_reset else " (engine: whole process so far)"
        print(f"  {LABELS[config.key]}: {config.memory}{scope}")
    print(f"  okta: {okta_memory}")
    for config in configs.values():
        for phase in config.phases:
            print(f"\n== {phase.name}: {phase.seconds:.1f} s, run timings {phase.timings}")
            print(f"   CPU seconds {phase.cpu}, load average {' '.join(f'{x:.2f}' for x in phase.load)}")
            if phase.extra.get("plan"):
                print(f"   plan: { {str(k): v for k, v in phase.extra['plan'].items()} }")
            print_requests(phase, [*config.targets, "okta"])


def main() -> None:
    """Parse the options, run both configurations, print."""
    parser = argparse.ArgumentParser(
        description="Okta → Jira + Confluence + Bitbucket against Okta → Jira (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_okta_org_arguments(parser)
    parser.add_argument("--latency-ms", type=float, default=10.0, help="latency every emulator adds")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrency of every target connection")
    for target in ("jira", "confluence", "bitbucket"):
        parser.add_argument(
            f"--{target}-concurrency",
            type=int,
            default=None,
            help=f"{target} connection concurrency (default: --concurrency)",
        )
    parser.add_argument("--okta-concurrency", type=int, default=16, help="Okta connection concurrency")
    parser.add_argument(
        "--okta-rate-limit",
        type=int,
        default=20_000,
        help="requests per minute in every Okta rate-limit bucket; 0: Okta's defaults",
    )
    parser.add_argument("--max-ratio", type=float, default=1.5, help="the acceptance limit of the ratio")
    parser.add_argument(
        "--multi-first", action="store_true", help="run the three-target configuration first (order effect)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of every generator")
    parser.add_argument("--asyncio-loop", action="store_true",
                        help="run the engine on asyncio's own loop, not on uvloop as idsync's commands do")
    parser.add_argument(
        "--profile", default=None, help="cProfile each initial sync to PREFIX-{jira,multi}.prof"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    args = parser.parse_args()

    def say(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    order = ["multi", "jira"] if args.multi_first else ["jira", "multi"]
    start_load = os.getloadavg()
    say(f"load average at start: {' '.join(f'{x:.2f}' for x in start_load)}, {os.cpu_count()} CPUs")
    configs: dict[str, Configuration] = {}
    with tempfile.TemporaryDirectory(prefix="idsync-bench-") as tmp, okta_emulator(args, Path(tmp)) as okta:
        say(f"okta emulator up: {args.users} users, {args.groups} groups, ~{args.memberships} memberships")
        for key in order:
            configs[key] = run_configuration(args, key, okta, Path(tmp), say)
        okta_memory = {k: round(v, 1) for k, v in okta.memory_mib().items()}
    configs = {key: configs[key] for key in ("jira", "multi")}
    ratio = configs["multi"].initial.seconds / configs["jira"].initial.seconds
    if args.json:
        document = {
            "args": vars(args),
            "cpus": os.cpu_count(),
            "load_at_start": start_load,
            "order": order,
            "configurations": {key: config.as_json() for key, config in configs.items()},
            "initial_sync_ratio": round(ratio, 3),
            "max_ratio": args.max_ratio,
            "within_limit": ratio <= args.max_ratio,
            "noop_zero_writes": all(c.target_writes(c.noop) == 0 for c in configs.values()),
            "okta_memory_mib": okta_memory,
        }
        print(json.dumps(document, indent=2))
        return
    print_report(configs, okta_memory, ratio, args.max_ratio)


if __name__ == "__main__":
    main()
