"""One person: sync them now (`idsync user sync`, sync at login) and look them up ("test sync").

Sync at login is what an SSO plugin or a reverse proxy calls right after a successful login, so the
person's account and memberships are right before their first page loads. `LoginSync` makes that safe
to call often:

- concurrent calls for the same person (a double submit, two tabs, a retried request) coalesce: the
  first starts a run, the others wait for it and get the same result;
- single-user runs of one profile are serialised in the process instead of failing on the profile
  lock, and a run held elsewhere (a scheduled full sync, another replica) is waited for up to `wait`
  seconds before RunInProgress is raised;
- a caller that goes away (a client disconnect cancels its request) does not cancel the run the
  others wait for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from idsync.config.connections import SOURCE_TYPES
from idsync.domain.errors import RunInProgress
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.engine.lookup import UserPreview, preview_user
from idsync.service.context import Context
from idsync.service.errors import UnknownName
from idsync.service.results import UserSyncResult
from idsync.service.runs import Trigger, sync

LOCK_WAIT = 30.0
"""Seconds a login sync waits for a profile run held elsewhere before giving up."""
_RETRY_EVERY = 0.2


async def user_sync(
    ctx: Context,
    profile: str,
    login: str,
    *,
    dry_run: bool = False,
    trigger: str = Trigger.USER,
    progress: Progress = NO_PROGRESS,
) -> UserSyncResult:
    """Sync one person's account and memberships, nobody else's (raises RunInProgress when the
    profile is running)."""
    name, _ = ctx.profile(profile)
    result = await sync(ctx, name, trigger=trigger, dry_run=dry_run, user=login, progress=progress)
    return UserSyncResult(name, login, result)


class LoginSync:
    """Single-user syncs for the server: coalesced per person, serialised per profile."""

    def __init__(self, ctx: Context, *, wait: float = LOCK_WAIT, trigger: str = Trigger.LOGIN) -> None:
        self.ctx = ctx
        self.wait = wait
        self.trigger = trigger
        self._running: dict[tuple[str, str], asyncio.Future[UserSyncResult]] = {}
        self._profile_locks: dict[str, asyncio.Lock] = {}

    async def sync(self, profile: str, login: str) -> UserSyncResult:
        """Sync `login` in `profile` now, or join the sync of them already under way."""
        name, _ = self.ctx.profile(profile)
        key = (name, login.casefold())
        future = self._running.get(key)
        if future is None:
            future = asyncio.ensure_future(self._run(name, login))
            self._running[key] = future
            future.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(future)

    def _forget(self, key: tuple[str, str], done: asyncio.Future[UserSyncResult]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved: every waiter gets it; no "never retrieved" warning

    async def _run(self, profile: str, login: str) -> UserSyncResult:
        lock = self._profile_locks.setdefault(profile, asyncio.Lock())
        deadline = time.monotonic() + self.wait
        async with lock:
            while True:
                try:
                    return await user_sync(self.ctx, profile, login, trigger=self.trigger)
                except RunInProgress:
                    if time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(_RETRY_EVERY)


async def lookup(ctx: Context, profile: str, login: str) -> UserPreview:
    """One person as the profile's source holds them, and what the profile would write for them;
    raises NotFoundError when the source has no such person."""
    name, rules = ctx.profile(profile)
    preview = await preview_user(ctx.config, rules.source, login)
    return dataclasses.replace(preview, profiles=tuple(v for v in preview.profiles if v.profile == name))


async def lookup_in_source(ctx: Context, connection: str, login: str) -> UserPreview:
    """One person as source connection `connection` holds them, and what every profile reading from
    it would write (`idsync user lookup`)."""
    sources = [n for n, c in ctx.config.connections.items() if c.type in SOURCE_TYPES]
    if connection not in sources:
        raise UnknownName("connection", connection, sources, what="source connection")
    return await preview_user(ctx.config, connection, login)
