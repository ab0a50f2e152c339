"""The planning of one target in a run: its links and records → what to read → the read → the diff.

Each target of a profile is planned on its own (`idsync.engine.run` runs them concurrently), from the
one desired state the rules made of the source:

    records (loaded while the source was read) → wanted group members and digests → people known
    absent → state query → (after an incremental read) what idsync wrote need not be read → read →
    diff → absence records

A target that cannot be read raises its ConnectorError here, and the run plans nothing for it (never
"no users").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from idsync.config.profiles import Profile
from idsync.domain.progress import Progress
from idsync.domain.records import DesiredState, Link, StateQuery, TargetState, TargetUser
from idsync.engine.absences import AbsenceUpdate, after_diff, believed
from idsync.engine.diff import DiffResult, diff, state_query, with_known_properties
from idsync.engine.group_digests import unchanged_groups, wanted_digests, wanted_members
from idsync.engine.target_records import TargetRecords
from idsync.engine.written_state import Previous, completed, narrowed, written_groups, written_users
from idsync.targets.base import Target


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """What planning one target gave."""

    links: dict[str, Link]
    """The target's links as loaded before the diff."""
    query: StateQuery
    """The query read (narrowed to what idsync had not written itself)."""
    state: TargetState
    """What that read returned (the plan's stale check hashes it)."""
    result: DiffResult
    diff_seconds: float
    """How long the diff took (the run's timings keep it apart from the read)."""
    absence: AbsenceUpdate
    """The records of people the target was found not to have, after this run."""
    wanted_digests: Mapping[str, str]
    """Managed group → digest of its wanted members now (idsync.engine.group_digests)."""
    recorded_digests: Mapping[str, str]
    """Managed group → digest recorded when a run last left it as wanted."""


async def plan_target(
    profile: Profile, desired: DesiredState, before: Previous | None, target_name: str, target: Target,
    *, full_read: bool, loading: asyncio.Future[TargetRecords], progress: Progress,
) -> TargetPlan:
    """Links, query, state and diff of one target, the absence records after it and the group
    digests recorded before it; raises the target's ConnectorError. `before`: what the rules made
    of the previous run's snapshot, whose people and groups the target holds as idsync wrote them
    need not be read (idsync.engine.written_state). `loading`: the store's records of the target
    (idsync.engine.target_records), loaded while the source was read."""
    target_links, records, recorded = await loading
    members = wanted_members(desired, target_links)
    wanted = wanted_digests(desired, profile, members)
    skipped = believed(desired, target_links, records, profile, full_read=full_read)
    unchanged = unchanged_groups(wanted, recorded, full_read=full_read,
                                 single_user=desired.single_user is not None)
    query = state_query(desired, target_links, profile, target.capabilities, target_name, absent=skipped,
                        unchanged_groups=unchanged, full_read=full_read)
    users: dict[str, TargetUser] = {}
    groups: dict[str, frozenset[str]] = {}
    if before is not None:  # only after an incremental read (idsync.engine.read_source)
        users = written_users(before, desired, target_links, query, profile, target.capabilities)
        groups = written_groups(before, members, recorded, target_links, query, profile,
                                target.capabilities)
    asked = narrowed(query, users, groups)
    if asked.reads_nothing:
        # Nothing to read, yet a run vouches for every target it reports on: a revoked token or
        # an unreachable server must fail the run, never pass as "no changes".
        await target.check()
    state = await target.read_state(asked, progress)
    clock = time.perf_counter()
    whole = completed(state, users, groups)
    known = with_known_properties(whole, query, desired, target_links)
    result = diff(desired, known, target_links, profile, target.capabilities, unchanged_groups=unchanged)
    planned = frozenset(i.source_id for i in result.items if i.source_id) | frozenset(
        link.source_id for link in result.link_upserts
    ) | frozenset(s for d in result.disputes for s in d.source_ids) | frozenset(
        u.source_id for u in result.unsyncable
    )
    absence = after_diff(desired, target_links, records, skipped, query, whole, planned, profile,
                         full_read=full_read)
    took = time.perf_counter() - clock
    return TargetPlan(target_links, asked, state, result, took, absence, wanted, recorded)
