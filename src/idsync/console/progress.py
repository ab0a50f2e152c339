"""Rich progress bars behind the `Progress` protocol of domain/progress.py.

Bars show the count, the rate and the elapsed time, and vanish when the work is done (transient), so
the plan or the results printed afterwards are not pushed off screen. When the console is not a
terminal (CI, pipes, `--json`), `progress_bars` yields `NO_PROGRESS` and nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichBars
from rich.text import Text

from idsync.domain.progress import NO_PROGRESS, Progress, ProgressTask


class RateColumn(ProgressColumn):
    """Units per second (rich's own speed column formats bytes)."""

    def render(self, task: Task) -> Text:
        """The task's current rate, or nothing before rich has measured one."""
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class _Bar:
    def __init__(self, bars: RichBars, task_id: TaskID) -> None:
        self._bars = bars
        self._id = task_id

    def advance(self, amount: int = 1) -> None:
        self._bars.advance(self._id, amount)

    def set_total(self, total: int | None) -> None:
        self._bars.update(self._id, total=total)


class RichProgress:
    """A `Progress` drawing one rich bar per task; use as a context manager around the work."""

    def __init__(self, console: Console) -> None:
        self.bars = RichBars(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        """Start a new bar (the description is shown as plain text, never as markup)."""
        task_id = self.bars.add_task(Text(description).markup, total=total)
        return _Bar(self.bars, task_id)

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()


@contextmanager
def progress_bars(console: Console) -> Iterator[Progress]:
    """Bars on a terminal, `NO_PROGRESS` anywhere else."""
    if not console.is_terminal:
        yield NO_PROGRESS
        return
    with RichProgress(console) as progress:
        yield progress
