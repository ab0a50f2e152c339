"""Deterministic Crowd data per seed: the directory's admin in crowd-administrators, users (some
inactive) with the internal attributes Crowd keeps on every user, team groups of skewed sizes and a
few department groups that hold teams as nested groups. Names come from the shared lists, so
collisions happen and are resolved like a directory admin would (john.smith, john.smith2, …)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from idsync.sandbox.atlassian.common.generator import (
    spread_over_teams,
    team_count,
    team_name,
    team_word,
    unique_login,
)
from idsync.sandbox.atlassian.crowd.options import CrowdOptions
from idsync.sandbox.atlassian.crowd.state import CrowdState
from idsync.sandbox.common.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES

ADMINISTRATORS = "crowd-administrators"
INACTIVE_SHARE = 0.08


def _internal_attributes(changed: datetime) -> dict[str, list[str]]:
    # Attributes Crowd's internal directory keeps on its own; a client must leave them alone.
    return {
        "passwordLastChanged": [str(int(changed.timestamp() * 1000))],
        "requiresPasswordChange": ["false"],
    }


def generate(options: CrowdOptions, now: datetime) -> CrowdState:
    """Build the initial state for `options` (same seed → same data, keys included)."""
    rng = random.Random(options.seed)
    state = CrowdState(directory_id=options.directory_id, key_seed=options.seed)
    admin = state.add_user("admin", "Crowd", "Administrator", "Crowd Administrator", "admin@example.com",
                           now - timedelta(days=3650), password="admin")  # fmt: skip
    admin.attributes = _internal_attributes(admin.created)
    admins = state.add_group(ADMINISTRATORS, admin.created, "Crowd administrators")
    state.add_member(admins, admin)

    seen: dict[str, int] = {}
    users = []
    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = unique_login(first, last, seen, lambda n: state.user_by_name(n) is not None)
        created = now - timedelta(days=rng.randint(1, 3000))
        user = state.add_user(name, first, last, f"{first} {last}", f"{name}@example.com", created,
                              active=rng.random() >= INACTIVE_SHARE)  # fmt: skip
        user.attributes = _internal_attributes(created)
        users.append(user)

    teams = [
        state.add_group(team_name(i), now, f"Team {team_word(i)}") for i in range(team_count(len(users)))
    ]
    spread_over_teams(rng, users, teams, state.add_member)
    if teams:
        departments = [state.add_group(d.lower().replace(" ", "-"), now, d) for d in DEPARTMENTS[:3]]
        for i, team in enumerate(teams):
            state.add_child(departments[i % len(departments)], team)
    return state
