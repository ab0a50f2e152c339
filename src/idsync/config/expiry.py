"""Credential expiry: connections may state when their credential expires (`expires_at:`).

Atlassian Cloud directory API keys expire a year after they are made, and other vendors' tokens are
often time-limited too; a sync that stops one morning because a key lapsed is the kind of outage an
admin can see coming. `idsync check` warns from `WARN_DAYS` before the date and fails after it, every
run records the days left in its notes (history shows them), and the metric
idsync_credential_days_left carries the same figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from idsync.config.model import IdsyncConfig

WARN_DAYS = 30
"""Warn this many days (or fewer) before a credential expires."""


@dataclass(frozen=True, slots=True)
class Expiry:
    """One connection's stated credential expiry, seen on `today`."""

    connection: str
    expires_at: date
    days_left: int
    """Negative once expired; 0 on the day itself (still valid that day)."""

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def soon(self) -> bool:
        """Within WARN_DAYS of expiring (and not yet expired)."""
        return 0 <= self.days_left <= WARN_DAYS

    def describe(self) -> str:
        """One line for check output, notices and run notes."""
        when = self.expires_at.isoformat()
        if self.expired:
            ago = -self.days_left
            return (f"connection {self.connection!r}: its credential expired on {when} ({ago} day"
                    f"{'s' if ago != 1 else ''} ago, expires_at); issue a new one and update the config")
        if self.days_left == 0:
            return f"connection {self.connection!r}: its credential expires today ({when}, expires_at)"
        return (f"connection {self.connection!r}: its credential expires on {when}, in {self.days_left} "
                f"day{'s' if self.days_left != 1 else ''} (expires_at)")


def today_utc() -> date:
    return datetime.now(UTC).date()


def expiries(config: IdsyncConfig, names: Iterable[str] | None = None,
             today: date | None = None) -> tuple[Expiry, ...]:
    """The connections (all, or those named) that state `expires_at`, with their days left."""
    today = today or today_utc()
    chosen = config.connections if names is None else {
        n: config.connections[n] for n in names if n in config.connections
    }
    return tuple(
        Expiry(name, conn.expires_at, (conn.expires_at - today).days)
        for name, conn in sorted(chosen.items())
        if conn.expires_at is not None
    )
