"""Time of the rules alone (`desired_state`) over a large Okta-shaped snapshot, in this process.

    uv run python bench/rules.py --users 150000 --groups 5000 --memberships 750000

Every run of a profile, the no-op ones too, evaluates the rules over every source user: at 150,000
people they are one of the largest stages of a run that changes nothing. This bench isolates them:
it builds a snapshot shaped like the Okta emulator's people (login, email, names, department …;
each group with about memberships ÷ groups members drawn at random) and the profile of
bench/sync_okta_jira.py (username regex rewrite, a custom attribute, on-the-fly groups, a default
group), then evaluates the rules `--runs` times. Prints the best and median time and the best per
source user. No server is involved: the figure is this machine's CPU for the rules.

With `--changed N` it also times, best of `--runs` each, what a run between full reads does instead
(idsync.engine.rules_stage): decoding the outcome the last run stored (`idsync.store.outcomes`), then,
after N people's display names changed, finding who changed (`changed_people`), evaluating only them
(`evaluate` with `Reuse`), and encoding the new outcome reusing the stored lines; and, for comparison,
encoding an outcome afresh (a run that evaluated everyone).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from idsync.config.loader import parse_config
from idsync.config.profiles import Profile
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.engine.written_state import changed_people
from idsync.rules.desired import Reuse, desired_state, evaluate
from idsync.store.outcomes import decode, encode
from sync_okta_jira import CONFIG, PROFILE

_FIRST = ("Anna", "Bob", "Chloé", "Dmitri", "Eve", "Farid")
_LAST = ("Smith", "Müller", "Ng", "O'Brien", "Łukasz")


def snapshot(users: int, groups: int, memberships: int, seed: int) -> Snapshot:
    """A snapshot of `users` active people and `groups` groups of memberships ÷ groups members each."""
    rng = random.Random(seed)
    people: dict[str, SourceUser] = {}
    for n in range(users):
        uid = f"00u{n:017d}"
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        login = f"{first}.{last}{n}@example.com"
        people[uid] = SourceUser(uid, "ACTIVE", {
            "login": login, "email": login, "firstName": first, "lastName": last,
            "displayName": f"{first} {last}", "department": rng.choice(("Engineering", "Sales", "")),
            "title": "Engineer", "employeeNumber": str(100000 + n), "secondEmail": None,
        })
    ids = list(people)
    size = min(users, max(1, memberships // max(1, groups)))
    teams = {
        f"00g{g:017d}": SourceGroup(f"00g{g:017d}", f"team-{g}", frozenset(rng.sample(ids, size)))
        for g in range(groups)
    }
    return Snapshot("okta", people, teams, datetime.now(UTC), scope="")


def bench_profile() -> Profile:
    """The profile bench/sync_okta_jira.py syncs with (its config, with placeholder connections)."""
    text = CONFIG.format(store="sqlite:///unused.db", okta_url="http://127.0.0.1:1", jira_url="http://127.0.0.1:2",
                         okta_concurrency=1, concurrency=1, profile=PROFILE)
    tokens = {"BENCH_OKTA_TOKEN": "unused", "BENCH_JIRA_TOKEN": "unused"}
    return parse_config(text, env=tokens).profiles[PROFILE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--users", type=int, default=150000, help="source users")
    parser.add_argument("--groups", type=int, default=5000, help="source groups")
    parser.add_argument("--memberships", type=int, default=750000, help="about this many memberships")
    parser.add_argument("--runs", type=int, default=5, help="evaluations; the best is the figure")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated snapshot")
    parser.add_argument("--changed", type=int, default=0,
                        help="also time the reuse of a stored outcome after this many people changed")
    args = parser.parse_args()
    source = snapshot(args.users, args.groups, args.memberships, args.seed)
    profile = bench_profile()
    times: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        state = desired_state(source, profile)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"rules over {len(source.users):,} users, {len(source.groups):,} groups "
          f"({sum(len(g.member_ids) for g in source.groups.values()):,} memberships): "
          f"best {best:.2f} s, median {statistics.median(times):.2f} s of {args.runs}; "
          f"{best / len(source.users) * 1e6:.1f} µs per user; {len(state.users):,} desired users")
    if args.changed:
        _reuse(source, profile, args.changed, args.runs, args.seed)


def _best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The best time of `runs` calls of `work`, and what the last one returned."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def _reuse(source: Snapshot, profile: Profile, changed: int, runs: int, seed: int) -> None:
    """The figures of `--changed`."""
    _, outcome = evaluate(source, profile)
    fresh, data = _best(runs, lambda: encode(outcome))
    decoding, (stored, lines) = _best(runs, lambda: decode(data))
    people = dict(source.users)
    for uid in random.Random(seed).sample(sorted(people), changed):
        people[uid] = replace(people[uid], attributes={**people[uid].attributes, "displayName": "Changed"})
    current = replace(source, users=people)
    finding, who = _best(runs, lambda: changed_people(source, current))
    evaluating, (_, merged) = _best(runs, lambda: evaluate(current, profile, Reuse(stored, who)))
    reencoding, _ = _best(runs, lambda: encode(merged, lines))
    print(f"stored outcome: {len(data) / 1e6:.1f} MB; encoded afresh {fresh:.2f} s; decoded {decoding:.2f} s")
    print(f"{changed:,} people changed: found in {finding:.3f} s, evaluated in {evaluating:.3f} s, "
          f"the outcome encoded reusing the stored lines in {reencoding:.3f} s; "
          f"together with the decode {decoding + finding + evaluating + reencoding:.2f} s")


if __name__ == "__main__":
    main()
