"""Deterministic Confluence data per seed: an admin who owns the PAT, users (some disabled), the
standard groups confluence-users and confluence-administrators, and team groups of skewed sizes. Names
come from the shared name lists, so collisions happen and are resolved as a directory admin would
(anna.smith, anna.smith2, …)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from idsync.sandbox.atlassian.common.generator import spread_over_teams, team_count, team_name, unique_login
from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.confluence.state import ConfluenceState
from idsync.sandbox.atlassian.confluence.web import ADMIN_GROUP, USERS_GROUP
from idsync.sandbox.common.names import FIRST_NAMES, LAST_NAMES

DISABLED_SHARE = 0.08


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

    seen: dict[str, int] = {}
    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = unique_login(first, last, seen, lambda n: state.user_by_name(n) is not None)
        created = now - timedelta(days=rng.randint(1, 3000))
        active = rng.random() >= DISABLED_SHARE
        user = state.add_user(name, f"{first} {last}", f"{name}@example.com", created, active=active)
        state.add_member(users_group, user)
    people = [u for u in state.users_by_name() if u.key != admin.key]
    teams = [state.add_group(team_name(i)) for i in range(team_count(len(people)))]
    spread_over_teams(rng, people, teams, state.add_member)
    return state
