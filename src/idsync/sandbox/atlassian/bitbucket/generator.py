"""Deterministic Bitbucket data per seed: an admin holding SYS_ADMIN directly (as the setup wizard's
admin does), the licence-granting default group stash-users (LICENSED_USER), an administrators group
(ADMIN), generated users — most in stash-users, a few without any licence (accounts that exist but take
no seat) — and team groups of skewed sizes that grant nothing. Names come from the shared lists, so
collisions happen and are resolved like a directory admin would (john.smith, john.smith2, …)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions
from idsync.sandbox.atlassian.bitbucket.state import BitbucketState
from idsync.sandbox.atlassian.common.generator import spread_over_teams, team_count, team_name, unique_login
from idsync.sandbox.common.names import FIRST_NAMES, LAST_NAMES

DEFAULT_GROUP = "stash-users"
"""The default group new users join (`addToDefaultGroup`), holding LICENSED_USER."""
ADMIN_GROUP = "bitbucket-administrators"
UNLICENSED_SHARE = 0.05


def generate(options: BitbucketOptions, now: datetime) -> BitbucketState:
    """Build the initial state for `options` (same seed → same data)."""
    rng = random.Random(options.seed)
    state = BitbucketState()
    admin = state.add_user(
        options.username,
        "Administrator",
        f"{options.username.lower()}@example.com",
        now - timedelta(days=3650),
        password=options.password,
    )
    state.user_permissions[admin.id] = "SYS_ADMIN"
    default = state.add_group(DEFAULT_GROUP)
    admins = state.add_group(ADMIN_GROUP)
    state.group_permissions[DEFAULT_GROUP] = "LICENSED_USER"
    state.group_permissions[ADMIN_GROUP] = "ADMIN"
    state.add_member(default, admin)

    seen: dict[str, int] = {}
    users = []
    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = unique_login(first, last, seen, lambda n: state.user_by_name(n) is not None)
        user = state.add_user(
            name, f"{first} {last}", f"{name}@example.com", now - timedelta(days=rng.randint(1, 3000))
        )
        if rng.random() >= UNLICENSED_SHARE:
            state.add_member(default, user)
        users.append(user)
    for user in rng.sample(users, min(len(users), len(users) // 200)):
        state.add_member(admins, user)

    teams = [state.add_group(team_name(i)) for i in range(team_count(len(users)))]
    spread_over_teams(rng, users, teams, state.add_member)
    return state
