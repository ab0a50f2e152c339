"""A wall clock that tests can step forward, for `lastUpdated` / `since` behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Real UTC time plus an offset that `/_sandbox/clock` advances."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        """The emulator's current time (timezone-aware UTC)."""
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time."""
        self.offset += timedelta(seconds=seconds)
        return self.now()
