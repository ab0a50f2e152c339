"""What the scheduler tests share: a clock the test advances, and configs over the emulators.

`ManualClock` implements the scheduler's `Clock` protocol: time moves only when the test says so, and
the test can wait until every scheduler task is asleep (has nothing left to do at this time), so the
tests step from one run time to the next without waiting for wall-clock time and without timed
assertions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from tests.fixtures.sandbox import RunningJira, RunningOkta


def at(text: str) -> datetime:
    """A UTC time from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class ManualClock:
    """A clock the test advances; sleepers wake when the time reaches theirs or the stop is set."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._tick = asyncio.Event()
        self._sleepers: dict[object, datetime] = {}

    def now(self) -> datetime:
        """The time the test set last."""
        return self._now

    async def sleep_until(self, when: datetime, stop: asyncio.Event) -> None:
        """Wait until the test advances to `when` (or past it), or until `stop` is set."""
        key = object()
        self._sleepers[key] = when
        try:
            while not stop.is_set() and self._now < when:
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._tick.wait())]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
        finally:
            del self._sleepers[key]

    def advance_to(self, when: datetime) -> None:
        """Set the time and wake every sleeper to look at it."""
        self._now = when
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def asleep(self, count: int, hang_guard: float = 60.0) -> list[datetime]:
        """Wait until `count` sleepers wait for a time after now; their wake-up times, earliest first.
        (`hang_guard` seconds only guard against a hang: they are not what the test checks.)"""
        deadline = time.monotonic() + hang_guard
        while True:
            ahead = sorted(when for when in self._sleepers.values() if when > self._now)
            if len(ahead) >= count:
                return ahead
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} sleeping scheduler tasks, found {len(ahead)}")
            await asyncio.sleep(0.01)

    async def step(self, count: int) -> datetime:
        """Advance to the earliest wake-up of `count` sleeping tasks, and return that time."""
        when = (await self.asleep(count))[0]
        self.advance_to(when)
        return when


CONFIG = """
database: {database}
connections:
  okta: {{type: okta, url: "{okta}", token: "${{OKTA_TOKEN}}"}}
{jiras}
server: {{stop_grace_seconds: {grace}}}
profiles:
{profiles}
"""


def config_text(
    database: str,
    okta: RunningOkta,
    profiles: Mapping[str, tuple[RunningJira, str]],
    *,
    grace: float = 10,
) -> str:
    """A config with one Okta source and, per profile, its own Jira target and `schedule:` (YAML
    flow text such as `interval: 1m`)."""
    jiras = "\n".join(
        f'  jira-{name}: {{type: jira, url: "{jira.url}", token: "${{JIRA_{i}_TOKEN}}"}}'
        for i, (name, (jira, _)) in enumerate(profiles.items())
    )
    body = "\n".join(
        f"  {name}:\n    source: okta\n    targets: [jira-{name}]\n    schedule: {{{schedule}}}"
        for name, (_, schedule) in profiles.items()
    )
    return CONFIG.format(database=database, okta=okta.url, jiras=jiras, profiles=body, grace=grace)


def config_env(okta: RunningOkta, profiles: Mapping[str, tuple[RunningJira, str]]) -> dict[str, str]:
    """The environment the config's `${...}` references need."""
    env = {"OKTA_TOKEN": okta.token}
    for i, (jira, _) in enumerate(profiles.values()):
        env[f"JIRA_{i}_TOKEN"] = jira.token
    return env


def write_config(tmp_path: Path, text: str) -> Path:
    """Write the config file and return its path."""
    path = tmp_path / "idsync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def jira_users(jira: RunningJira) -> set[str]:
    """Usernames in a Jira emulator (the admin included)."""
    return {user.name for user in list(jira.sandbox.state.users.values())}
