"""Things a valid config says that this version does not do yet, told to the admin in words.

`schedule:` is validated (a cron expression must parse, an interval must look like 15m) but no
scheduler runs it yet: `idsync check` and `idsync sync` say so, with the crontab line or systemd
timer that runs the profile instead, so a schedule never silently does nothing.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from idsync.config.model import IdsyncConfig


def schedule_notices(config: IdsyncConfig, config_path: Path | None = None) -> list[str]:
    """One line per profile with a `schedule:`: that it is not run yet, and how to run it."""
    where = f" --config {shlex.quote(str(config_path))}" if config_path is not None else ""
    notices = []
    for name, profile in sorted(config.profiles.items()):
        schedule = profile.schedule
        if schedule is None or not (schedule.cron or schedule.interval):
            continue
        command = f"idsync sync {shlex.quote(name)} --yes{where}"
        if schedule.cron:
            how = f"add to crontab: {schedule.cron} {command}"
            said = f"cron {schedule.cron!r}"
        else:
            how = f"a systemd timer with OnUnitActiveSec={schedule.interval} running: {command}"
            said = f"interval {schedule.interval!r}"
        notices.append(f"profile {name!r}: schedule ({said}) is not run by idsync yet; {how}")
    return notices
