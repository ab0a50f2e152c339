"""When a profile's `schedule:` makes it run under `idsync serve`: its slots, their jitter, the next run.

A slot is one due time of a schedule. Every replica computes the same slots from the config alone, so
a slot is a name the replicas can compete for in the database (`idsync.store.schedule`):

- `cron:` slots are the times croniter gives, in UTC (five fields; a sixth gives seconds);
- `interval:` slots are the multiples of the period since the Unix epoch, so `15m` runs at :00, :15,
  :30 and :45 on every replica, whenever each one started.

A slot's run starts a little after the slot: its jitter, a few seconds derived from a hash of the
profile and the slot. Profiles that share a schedule therefore do not all call the same API in the
same second, every replica waits for the same moment, and tests can compute it.

Pure functions of the config and a time: the scheduler, `idsync check`, `idsync history`, the REST API
and /metrics all call them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from idsync.config.model import IdsyncConfig
from idsync.config.profiles import ScheduleRules

MAX_JITTER = timedelta(seconds=5)
"""The largest delay of a slot's run after the slot."""
JITTER_SHARE = 10
"""A slot's jitter is also at most this fraction (1/10) of the time to the next slot."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)


def interval_seconds(interval: str) -> int:
    """The period of an `interval:` value such as 30s, 15m, 1h or 1d, in seconds."""
    found = re.fullmatch(r"(\d+)([smhd])", interval)
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"interval must look like 30s, 15m, 1h or 1d (not zero), got {interval!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now.isoformat()} given to the schedule: pass an aware one")
    return now.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Schedule:
    """One profile's schedule: exactly one of `cron` and `period` is set."""

    profile: str
    cron: str | None = None
    period: timedelta | None = None

    @classmethod
    def of(cls, profile: str, rules: ScheduleRules | None) -> Schedule | None:
        """The schedule of a profile's `schedule:` rules; None when it runs only when asked."""
        if rules is None:
            return None
        if rules.cron:
            return cls(profile, cron=rules.cron)
        if rules.interval:
            return cls(profile, period=timedelta(seconds=interval_seconds(rules.interval)))
        return None

    def describe(self) -> str:
        """The schedule as the config says it, e.g. "cron '*/30 * * * *' (UTC)" or "interval 15m"."""
        if self.cron is not None:
            return f"cron {self.cron!r} (UTC)"
        assert self.period is not None
        seconds = int(self.period.total_seconds())
        for unit, size in reversed(_UNITS.items()):
            if seconds % size == 0:
                return f"interval {seconds // size}{unit}"
        return f"interval {seconds}s"  # pragma: no cover - 1 divides everything

    def latest_due(self, now: datetime) -> datetime:
        """The last slot at or before `now`."""
        now = _aware(now)
        if self.cron is not None:
            # croniter's get_prev is strictly before its start: start a tick later to include `now`
            found: datetime = croniter(self.cron, now + _TICK).get_prev(datetime)
            return found.astimezone(UTC)
        period = self._period()
        return _EPOCH + period * ((now - _EPOCH) // period)

    def next_slot(self, now: datetime) -> datetime:
        """The first slot strictly after `now`."""
        now = _aware(now)
        if self.cron is not None:
            found: datetime = croniter(self.cron, now).get_next(datetime)
            return found.astimezone(UTC)
        return self.latest_due(now) + self._period()

    def jitter(self, slot: datetime) -> timedelta:
        """How long after `slot` its run starts: the same on every replica, under MAX_JITTER and under
        1/JITTER_SHARE of the gap to the next slot, to the millisecond."""
        slot = _aware(slot)
        cap = min(MAX_JITTER, (self.next_slot(slot) - slot) / JITTER_SHARE)
        digest = hashlib.sha256(f"{self.profile}\n{slot.isoformat()}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        return timedelta(milliseconds=int(cap / timedelta(milliseconds=1) * fraction))

    def run_at(self, slot: datetime) -> datetime:
        """When the run of `slot` starts."""
        return _aware(slot) + self.jitter(slot)

    def next_run(self, now: datetime) -> datetime:
        """When the next run starts: the latest slot's run if it is still ahead, else the next slot's."""
        latest = self.latest_due(now)
        start = self.run_at(latest)
        return start if start > _aware(now) else self.run_at(self.next_slot(now))

    def _period(self) -> timedelta:
        assert self.period is not None, "a schedule has cron or period"
        return self.period


def next_run(rules: ScheduleRules | None, now: datetime, *, profile: str = "") -> datetime | None:
    """When a profile with these `schedule:` rules next runs under `idsync serve` (None: manual only).
    The jitter depends on the profile's name: pass it to get the exact time."""
    schedule = Schedule.of(profile, rules)
    return None if schedule is None else schedule.next_run(now)


def schedules(config: IdsyncConfig) -> dict[str, Schedule]:
    """The schedule of every profile that has one, by profile name."""
    found = {name: Schedule.of(name, profile.schedule) for name, profile in sorted(config.profiles.items())}
    return {name: schedule for name, schedule in found.items() if schedule is not None}


def next_runs(config: IdsyncConfig, now: datetime | None = None) -> dict[str, datetime]:
    """When each scheduled profile of `config` next runs under `idsync serve`, by profile name."""
    moment = datetime.now(UTC) if now is None else now
    return {name: schedule.next_run(moment) for name, schedule in schedules(config).items()}


def next_run_notes(config: IdsyncConfig, now: datetime | None = None) -> list[str]:
    """One line per scheduled profile saying when `idsync serve` runs it next (`idsync check`,
    `idsync history`)."""
    moment = datetime.now(UTC) if now is None else now
    return [
        f"profile {name!r} ({schedule.describe()}) runs next at "
        f"{schedule.next_run(moment):%Y-%m-%d %H:%M:%S} UTC under `idsync serve`"
        for name, schedule in schedules(config).items()
    ]
