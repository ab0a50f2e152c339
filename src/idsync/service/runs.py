"""Sync now: one run of one profile through the engine, for every trigger.

`trigger` is recorded in history; `Trigger` lists the values idsync's own callers use (the history
filters accept exactly these). Store calls made here run in a worker thread, so a caller on the
server's event loop is never blocked by the database.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.engine.run import Confirm, RunRequest
from idsync.service.context import Context
from idsync.service.results import RunResult


class Trigger(StrEnum):
    """What started a run, as history records it."""

    CLI = "cli"
    """`idsync sync` / `idsync plan`."""
    APPLY = "apply"
    """`idsync apply plan.json`."""
    USER = "user"
    """`idsync user sync`."""
    API = "api"
    """`POST /api/v1/profiles/{profile}/sync` and `POST /api/v1/plans/{id}/apply`."""
    LOGIN = "login"
    """`POST /api/v1/profiles/{profile}/users/{login}/sync` (sync at login)."""
    SCHEDULE = "schedule"
    HOOK = "hook"
    SCIM = "scim"
    DEMO = "demo"
    MANUAL = "manual"
    UI = "ui"
    """The admin web UI (Synchronize, Test sync)."""
    UNDO = "undo"
    """`idsync undo RUN_ID` and `POST /api/v1/runs/{id}/undo`: the inverse of a recorded run."""


async def sync(
    ctx: Context,
    profile: str | None,
    *,
    trigger: str = Trigger.MANUAL,
    dry_run: bool = False,
    allow_over_limit: bool = False,
    user: str | None = None,
    full_read: bool = False,
    progress: Progress = NO_PROGRESS,
    confirm: Confirm | None = None,
    stop: asyncio.Event | None = None,
) -> RunResult:
    """Plan, check and (unless a dry run) apply one profile; `user` limits the run to that source login.

    Raises UnknownName for a profile that is not configured and RunInProgress when the profile is
    running elsewhere; a guard refusal is a result (status refused), not an error. Once `stop` is
    set, no further item starts and the run is recorded as interrupted with what it applied.
    `full_read`: read the source in full even where an incremental read would do."""
    name, _ = ctx.profile(profile)
    request = RunRequest(name, str(trigger), dry_run=dry_run, allow_over_limit=allow_over_limit, user=user,
                         full_read=full_read)
    report = await ctx.call(lambda: ctx.engine(progress).run(request, confirm=confirm, stop=stop))
    return RunResult(report)
