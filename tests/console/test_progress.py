"""Rich progress bars: drawn on a terminal with counts, absent elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from idsync.console.progress import RichProgress, progress_bars
from idsync.domain.progress import NO_PROGRESS


def test_not_a_terminal_gets_no_progress_and_no_output() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100)
    with progress_bars(console) as progress:
        assert progress is NO_PROGRESS
        task = progress.task("Reading Okta users", total=3)
        task.advance(3)
    assert out.getvalue() == ""


def test_terminal_draws_bars_with_counts_and_clears_them() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system=None)
    with progress_bars(console) as progress:
        assert isinstance(progress, RichProgress)
        users = progress.task("Reading Okta users")
        users.set_total(10)
        users.advance(4)
        users.advance(6)
        writes = progress.task("Applying to jira [prod]", total=5)
        writes.advance()
        assert [t.completed for t in progress.bars.tasks] == [10, 1]
        assert [t.total for t in progress.bars.tasks] == [10, 5]
    drawn = out.getvalue()
    # The final refresh on stop shows the last state; then the transient bars are erased.
    assert "Reading Okta users" in drawn
    assert "10/10" in drawn
    assert "Applying to jira [prod]" in drawn
    assert "1/5" in drawn
    assert drawn.endswith("\x1b[2K"), "transient: the bars are erased when the work is done"
