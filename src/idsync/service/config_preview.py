"""Live previews of edited settings on real source data: which usernames the username rule makes, and
which source groups the group rules sync and what they become.

Everything here calls the engine's own rule code (`idsync.rules`: scope, usernames, groups) on a
snapshot the profile's source connector really read, so the preview cannot disagree with a run.

The source is read with the connector's full read (`Source.read`), because the source contract has no
partial read: a page of users would not say which groups exist, and "which source groups match" needs
all of them. A read is kept for `SAMPLE_SECONDS` per source connection and shared by concurrent
previews, so typing in a regex field costs one read, not one per keystroke; the preview then shows a
bounded sample (`USER_SAMPLE` users in scope, `GROUP_SAMPLE` groups). A failed read is shown as the
error it is, never as "no users".
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from idsync.config.model import IdsyncConfig
from idsync.config.profiles import Profile
from idsync.connectors import build_source
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Snapshot
from idsync.rules.attributes import text
from idsync.rules.groups import compile_groups
from idsync.rules.scope import compile_scope
from idsync.rules.usernames import compile_username_rule
from idsync.service.context import in_own_loop

SAMPLE_SECONDS = 300.0
"""How long one read of a source serves the previews (the page offers to read it again)."""
USER_SAMPLE = 20
GROUP_SAMPLE = 50


@dataclass(frozen=True, slots=True)
class SampledUser:
    """One source user: the username attribute's value and the username the rule makes of it."""

    source_id: str
    value: str | None
    username: str | None
    """None: the user gets no username and is left out of the sync."""


@dataclass(frozen=True, slots=True)
class UsernamePreview:
    """The username rule on the first users in scope."""

    attribute: str
    users: tuple[SampledUser, ...]
    in_scope: int
    """How many source users the profile's scope takes in (of which `users` is the first part)."""
    changed: int
    """How many of the sampled usernames differ from the attribute's value."""


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """One source group and the target groups its members get."""

    name: str
    members: int
    targets: tuple[str, ...]
    """Empty: the group is not synced (not included, excluded, unmapped, or protected)."""

    @property
    def renamed(self) -> bool:
        """Whether the target name differs from the source name."""
        return bool(self.targets) and self.targets != (self.name,)


@dataclass(frozen=True, slots=True)
class GroupPreview:
    """The group rules on every source group (the first `GROUP_SAMPLE` synced and not synced)."""

    mode: str
    synced: tuple[GroupOutcome, ...]
    not_synced: tuple[GroupOutcome, ...]
    synced_count: int
    total: int
    unknown_in_mapping: tuple[str, ...]
    """Manual mode: mapped source groups the source does not have (a typo, or a group not read)."""
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """A source read kept for previews, and when it was made."""

    snapshot: Snapshot
    read_at: float
    """time.monotonic() of the read."""


class SourceSamples:
    """Source reads for previews, one per source connection, reused for `ttl` seconds."""

    def __init__(self, *, ttl: float = SAMPLE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._samples: dict[str, Sample] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, config: IdsyncConfig, connection: str, *, fresh: bool = False) -> Sample:
        """The kept read of `connection`, or a new one (`fresh`, or too old); raises what the
        source raises (SourceReadError, StopSyncError...)."""
        lock = self._locks.setdefault(connection, asyncio.Lock())
        async with lock:
            kept = self._samples.get(connection)
            if kept is not None and not fresh and self._clock() - kept.read_at < self._ttl:
                return kept
            # on a loop of its own in a worker thread, as `idsync serve` runs syncs: a large read's
            # parsing then shares the interpreter with SCIM and API requests instead of blocking them
            snapshot = await in_own_loop(lambda: _read(config, connection))
            sample = Sample(snapshot, self._clock())
            self._samples[connection] = sample
            return sample

    def forget(self) -> None:
        """Drop every kept read (the config changed: a connection may read differently now)."""
        self._samples.clear()


async def _read(config: IdsyncConfig, connection: str) -> Snapshot:
    source = build_source(config, connection)
    try:
        return await source.read(NO_PROGRESS)
    finally:
        await source.aclose()


def preview_usernames(snapshot: Snapshot, profile: Profile, *, limit: int = USER_SAMPLE) -> UsernamePreview:
    """The profile's username rule on the first `limit` users its scope takes in (by source id, the
    order the engine walks them); raises ConfigError for a rule the engine would refuse."""
    make = compile_username_rule(profile.users.username)
    scope = compile_scope(profile.scope)
    groups_of: dict[str, list[str]] = defaultdict(list)
    for group in snapshot.groups.values():
        for member in group.member_ids:
            groups_of[member].append(group.name)
    sampled: list[SampledUser] = []
    in_scope = 0
    for user in sorted(snapshot.users.values(), key=lambda u: u.id):
        if scope.check(user, groups_of.get(user.id, [])) is None:
            continue
        in_scope += 1
        if len(sampled) < limit:
            value = text(user.attr(make.attribute))
            sampled.append(SampledUser(user.id, value, make.username(user)))
    changed = sum(1 for u in sampled if u.username != u.value)
    return UsernamePreview(make.attribute, tuple(sampled), in_scope, changed)


def preview_groups(snapshot: Snapshot, profile: Profile, *, limit: int = GROUP_SAMPLE) -> GroupPreview:
    """The profile's group rules on every source group; raises ConfigError for a rule the engine
    would refuse."""
    mapper = compile_groups(profile)
    synced: list[GroupOutcome] = []
    not_synced: list[GroupOutcome] = []
    for group in sorted(snapshot.groups.values(), key=lambda g: (g.name.casefold(), g.id)):
        targets = tuple(mapper.targets(group.name))
        (synced if targets else not_synced).append(GroupOutcome(group.name, len(group.member_ids), targets))
    names = {group.name for group in snapshot.groups.values()}
    unknown = (
        tuple(sorted(n for n in profile.groups.mapping if n not in names))
        if profile.groups.mode == "manual"
        else ()
    )
    return GroupPreview(
        mode=profile.groups.mode,
        synced=tuple(synced[:limit]),
        not_synced=tuple(not_synced[:limit]),
        synced_count=len(synced),
        total=len(snapshot.groups),
        unknown_in_mapping=unknown,
        notes=tuple(mapper.notes()),
    )
