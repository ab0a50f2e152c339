"""Steps the Atlassian emulators' data generators share: logins from names (collisions resolved as a
directory admin would: john.smith, john.smith2, …), team group names and skewed team sizes. Every step
draws from the generator's `random.Random` in a fixed order, so the same seed gives the same data."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from idsync.sandbox.common.names import TEAM_WORDS

USERS_PER_TEAM = 20
"""One team group per 20 users: 100,000 users give 5,000 groups."""

U = TypeVar("U")
G = TypeVar("G")


def login_part(text: str) -> str:
    """`text` folded to lower-case ASCII letters and digits (Zoë → zoe)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def unique_login(first: str, last: str, seen: dict[str, int], taken: Callable[[str], bool]) -> str:
    """`first.last`, or `first.last2`, `first.last3`, … when taken. `seen` counts the logins asked
    for so far by base (the caller keeps it across calls)."""
    base = f"{login_part(first)}.{login_part(last)}"
    count = seen.get(base, 0) + 1
    seen[base] = count
    name = base if count == 1 else f"{base}{count}"
    while taken(name):  # "anna.smith2" may itself be a base name
        count += 1
        name = f"{base}{count}"
    return name


def team_word(index: int) -> str:
    """The word of the `index`-th team group."""
    return TEAM_WORDS[index % len(TEAM_WORDS)]


def team_name(index: int) -> str:
    """The name of the `index`-th team group: team-<word>-<round>."""
    return f"team-{team_word(index)}-{index // len(TEAM_WORDS) + 1}"


def team_count(users: int) -> int:
    """How many team groups `users` generated users get."""
    return users // USERS_PER_TEAM


def spread_over_teams(
    rng: random.Random, users: Sequence[U], teams: Sequence[G], add_member: Callable[[G, U], Any]
) -> None:
    """Put each user in one to three teams. Skewed sizes: a Pareto-ish pick makes a few large teams
    and many small ones."""
    if not teams:
        return
    for user in users:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            index = min(len(teams) - 1, int(rng.paretovariate(1.2)) - 1)
            add_member(teams[(index * 7919 + rng.randrange(3)) % len(teams)], user)
