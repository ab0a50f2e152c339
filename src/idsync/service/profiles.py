"""The configured profiles with their schedule, their next scheduled run and their last run."""

from __future__ import annotations

from datetime import UTC, datetime

from idsync.service.context import Context
from idsync.service.results import ProfileInfo
from idsync.service.schedule import next_runs
from idsync.store.run_search import RunFilter, search_runs


def list_profiles(ctx: Context, now: datetime | None = None) -> tuple[ProfileInfo, ...]:
    """Every profile by name (a blocking call: run it in a thread from async code)."""
    upcoming = next_runs(ctx.config, now or datetime.now(UTC))
    return tuple(_info(ctx, name, upcoming.get(name)) for name in sorted(ctx.config.profiles))


def profile_info(ctx: Context, name: str, now: datetime | None = None) -> ProfileInfo:
    """One profile; UnknownName lists the profiles when there is no such one."""
    ctx.profile(name)
    return _info(ctx, name, next_runs(ctx.config, now or datetime.now(UTC)).get(name))


def _info(ctx: Context, name: str, next_run: datetime | None) -> ProfileInfo:
    profile = ctx.config.profiles[name]
    schedule = None
    if profile.schedule is not None and (profile.schedule.cron or profile.schedule.interval):
        schedule = {"cron": profile.schedule.cron, "interval": profile.schedule.interval}
    runs, _ = search_runs(ctx.store.engine, RunFilter(profile=name), limit=1)
    return ProfileInfo(
        name, profile.source, tuple(profile.targets), schedule, next_run, runs[0] if runs else None
    )
