"""Progress reporting as a narrow interface, so sources and apply stay free of any UI library.

The CLI passes a rich-backed implementation when stdout is a terminal; everything else gets
`NO_PROGRESS`.
"""

from __future__ import annotations

from typing import Protocol


class ProgressTask(Protocol):
    """One bar: a named piece of long work."""

    def advance(self, amount: int = 1) -> None:
        """Count `amount` more units done."""

    def set_total(self, total: int | None) -> None:
        """Set or change how many units the work has (None: unknown)."""


class Progress(Protocol):
    """Something that can show bars."""

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        """Start a new bar."""
        ...


class _NullTask:
    def advance(self, amount: int = 1) -> None:
        pass

    def set_total(self, total: int | None) -> None:
        pass


class _NullProgress:
    def task(self, description: str, total: int | None = None) -> ProgressTask:
        return _NullTask()


NO_PROGRESS: Progress = _NullProgress()
