"""What the rules made of each source user on their own: the part of a run's rules stage that can be
kept between runs (idsync.store.outcomes) and reused for everyone a later snapshot did not change
(`idsync.rules.desired.Reuse`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from idsync.domain.records import DesiredUser


@dataclass(frozen=True, slots=True)
class PeopleOutcome:
    """Each source user's outcome under a profile's rules, before usernames are compared.

    A person's outcome depends on their own record, the names of the groups they are in and the
    profile, never on anyone else; only the disputes (two people who would get one username) do, and
    they are worked out from these afresh each time. So the outcome of a snapshot's unchanged people
    is the outcome they had in the snapshot it was merged from."""

    users: Mapping[str, DesiredUser]
    """In scope and given a username, by source id in id order (disputed people included)."""
    skipped: Mapping[str, str]
    """In scope but left out, with why (as `DesiredState.skipped`), in id order."""
    out_of_scope: frozenset[str]
    """Left out by the scope rules."""
