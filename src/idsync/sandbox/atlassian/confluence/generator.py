"""Deterministic Confluence data per seed: an admin who owns the PAT, users (some disabled), the
standard groups confluence-users and confluence-administrators, and team groups of skewed sizes. Names
come from the shared name lists, so collisions happen and are resolved as a directory admin would
(anna.smith, anna.smith2, …)."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.confluence.state import ConfluenceState
from idsync.sandbox.atlassian.confluence.web import ADMIN_GROUP, USERS_GROUP
from idsync.sandbox.common.names import FIRST_NAMES, LAST_NAMES, TEAM_WORDS

DISABLED_SHARE = 0.08
USERS_PER_TEAM = 20


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def generate(options: ConfluenceOptions, now: datetime) -> ConfluenceState:
    """Build the initial state for `options` (same seed → same data)."""
    rng = random.Random(options.seed)
    state = ConfluenceState()
    admin = state.add_user(options.username, "Administrator", f"{options.username}@example.com",
                           now - timedelta(days=3650), password=options.password)  # fmt: skip
    users_group = state.add_group(USERS_GROUP)
    admins = state.add_group(ADMIN_GROUP)
    state.add_member(users_group, admin)
    state.add_member(admins, admin)

    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{_ascii(first)}.{_ascii(last)}"
        name, count = base, 1
        while state.user_by_name(name) is not None:
            count += 1
            name = f"{base}{count}"
        created = now - timedelta(days=rng.randint(1, 3000))
        active = rng.random() >= DISABLED_SHARE
        user = state.add_user(name, f"{first} {last}", f"{name}@example.com", created, active=active)
        state.add_member(users_group, user)
    people = [u for u in state.users_by_name() if u.key != admin.key]
    teams = [
        state.add_group(f"team-{TEAM_WORDS[i % len(TEAM_WORDS)]}-{i // len(TEAM_WORDS) + 1}")
        for i in range(len(people) // USERS_PER_TEAM)
    ]
    if teams:
        # Skewed sizes: a Pareto-ish pick makes a few large teams and many small ones.
        for user in people:
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                index = min(len(teams) - 1, int(rng.paretovariate(1.2)) - 1)
                state.add_member(teams[(index * 7919 + rng.randrange(3)) % len(teams)], user)
    return state
