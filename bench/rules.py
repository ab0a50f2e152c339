"""Time of the rules alone (`desired_state`) over a large Okta-shaped snapshot, in this process.

    uv run python bench/rules.py --users 150000 --groups 5000 --memberships 750000

Every run of a profile, the no-op ones too, evaluates the rules over every source user: at 150,000
people they are one of the largest stages of a run that changes nothing. This bench isolates them:
it builds a snapshot shaped like the Okta emulator's people (login, email, names, department …;
each group with about memberships ÷ groups members drawn at random) and the profile of
bench/sync_okta_jira.py (username regex rewrite, a custom attribute, on-the-fly groups, a default
group), then evaluates the rules `--runs` times. Prints the best and median time and the best per
source user. No server is involved: the figure is this machine's CPU for the rules.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from idsync.config.loader import parse_config
from idsync.config.profiles import Profile
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.rules.desired import desired_state
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


if __name__ == "__main__":
    main()
