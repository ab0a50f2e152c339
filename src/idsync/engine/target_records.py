"""What the store holds about one profile's target: its links, the people found absent, the managed
groups' digests — loaded while the source is read.

A run needs all three only after the rules, but they do not depend on the source: loading them in
threads as soon as the run starts overlaps them with the source's network waits (at 150,000 people
the three loads take over a second, the Okta read of a run between full reads mostly waits on pages).
The profile's run lock is held meanwhile, so no other run of it changes them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from idsync.domain.records import Link
from idsync.store import Store


class TargetRecords(NamedTuple):
    """The store's records of one profile and target."""

    links: dict[str, Link]
    absences: dict[str, str]
    """Source id → fingerprint when the target was last found not to have them."""
    digests: dict[str, str]
    """Managed group → digest of its wanted members when a run last left it as wanted."""


def _load(store: Store, profile: str, target: str) -> TargetRecords:
    return TargetRecords(store.links(profile, target), store.absences(profile, target),
                         store.group_digests(profile, target))


def prefetch(store: Store, profile: str, targets: Iterable[str]) -> dict[str, asyncio.Future[TargetRecords]]:
    """Start loading every target's records, each in a thread; await each where it is needed."""
    return {target: asyncio.ensure_future(asyncio.to_thread(_load, store, profile, target))
            for target in targets}


async def settle(loading: Mapping[str, asyncio.Future[TargetRecords]]) -> None:
    """Wait for loads nobody will use (the run failed before the diff), so none is left running and
    no load error goes unretrieved."""
    for future in loading.values():
        with contextlib.suppress(Exception):
            await future
