"""`idsync history` and `idsync history RUN_ID` for people: rich tables, status in colour.

Everything that came from a source or a target (names, reasons, errors) is rendered as plain `Text`,
never as markup, so a group called "[red]x" prints as itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from idsync.store.records import RunDetail, RunItemRecord, RunSummary

STATUS_STYLES: Mapping[str, str] = {
    "succeeded": "green",
    "no_changes": "green",
    "planned": "blue",
    "partial": "yellow",
    "failed": "bold red",
    "refused": "bold magenta",
    "running": "cyan",
}
OUTCOME_STYLES: Mapping[str, str] = {
    "applied": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "planned": "dim",
}
_OUTCOME_ORDER = {"failed": 0, "skipped": 1, "applied": 2, "planned": 3}
DEFAULT_MAX_ITEMS = 500
"""Items shown by `render_run` unless told otherwise; failed ones come first, `--json` has them all."""


def render_runs(console: Console, runs: Sequence[RunSummary]) -> None:
    """The table of recent runs: id, profile, trigger, status, start, duration and outcome counts.

    Below 100 columns each run takes two lines instead, so nothing is cut to "…"; counts by action are
    in `idsync history RUN_ID` and in `--json`."""
    if not runs:
        console.print("No runs recorded yet.")
        return
    if console.width < 100:
        _render_runs_narrow(console, runs)
        return
    table = Table(title="Runs", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Run", no_wrap=True)
    table.add_column("Profile")
    table.add_column("Trigger")
    table.add_column("Status", no_wrap=True)
    table.add_column("Started (UTC)", no_wrap=True)
    table.add_column("Took", justify="right", no_wrap=True)
    table.add_column("Items")
    for run in runs:
        table.add_row(
            Text(run.id),
            Text(run.profile),
            Text(run.trigger),
            status_text(run.status, dry_run=run.dry_run),
            Text(_time(run.started_at)),
            Text(duration(run.duration_s)),
            outcomes_text(run.counts_by_outcome) if run.item_count else Text("0", style="dim"),
        )
    console.print(table)


def _render_runs_narrow(console: Console, runs: Sequence[RunSummary]) -> None:
    console.print(Text("Runs", style="italic"))
    for run in runs:
        first = Text.assemble((run.id, "bold"), "  ", status_text(run.status, dry_run=run.dry_run), "  ",
                              (run.profile, "cyan"), (f" · {run.trigger}", "dim"))
        second = Text.assemble("    ", (f"started {run.started_at:%Y-%m-%d %H:%M:%S} · took ", "dim"),
                               duration(run.duration_s), (" · ", "dim"))
        second.append_text(outcomes_text(run.counts_by_outcome) if run.item_count else Text("no items"))
        console.print(first)
        console.print(second)


def outcomes_text(by_outcome: Mapping[str, int]) -> Text:
    """`2215 applied` or `12 applied, 3 failed` with outcomes in colour."""
    text = Text()
    for position, (outcome, count) in enumerate(sorted(by_outcome.items(), key=_outcome_key)):
        if position:
            text.append(", ")
        text.append(f"{count} {outcome}", style=OUTCOME_STYLES.get(outcome, ""))
    return text


def render_run(console: Console, detail: RunDetail, *, max_items: int | None = DEFAULT_MAX_ITEMS) -> None:
    """One run: header, counts by action and outcome, notes, disputes, then items (failed first)."""
    run = detail.summary
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("Run", Text(run.id))
    header.add_row("Profile", Text(run.profile))
    header.add_row("Trigger", Text(run.trigger))
    if detail.undo_of:
        header.add_row("Undoes", Text(f"run {detail.undo_of} (idsync history {detail.undo_of})"))
    header.add_row("Status", status_text(run.status, dry_run=run.dry_run))
    header.add_row("Started", Text(_time(run.started_at) + " UTC"))
    header.add_row("Finished", Text(_time(run.finished_at) + " UTC" if run.finished_at else "-"))
    header.add_row("Duration", Text(duration(run.duration_s)))
    if run.source is not None:
        header.add_row("Source", Text(f"{run.source} ({run.scope or 'all'})"))
        header.add_row("Read", Text(f"{run.source_users} users, {run.source_groups} groups"))
    if detail.single_user:
        header.add_row("Single user", Text(detail.single_user))
    if detail.timings:
        header.add_row("Timings", Text(", ".join(f"{k} {duration(v)}" for k, v in detail.timings.items())))
    if run.error:
        header.add_row("Error", Text(run.error, style="red"))
    console.print(header)
    if run.item_count:
        console.print(_counts_table(run.counts_by_action, run.counts_by_outcome))
    for note in detail.notes:
        console.print(Text("note: ", style="yellow") + Text(note))
    for dispute in detail.disputes:
        ids = ", ".join(str(i) for i in dispute.get("source_ids", ()))
        console.print(
            Text("disputed: ", style="magenta")
            + Text(f"{dispute.get('username')} ← {ids}: {dispute.get('detail')}")
        )
    if detail.items:
        console.print(_items_table(detail.items, max_items))


def status_text(status: str, *, dry_run: bool = False) -> Text:
    """A run status in its colour, marked when the run was a dry run."""
    text = Text(status, style=STATUS_STYLES.get(status, ""))
    if dry_run:
        text.append(" (dry run)", style="dim")
    return text


def counts_text(by_action: Mapping[str, int], by_outcome: Mapping[str, int]) -> Text:
    """`create_user 3, add_member 12 | applied 14, failed 1` with outcomes in colour."""
    text = Text(", ".join(f"{action} {count}" for action, count in sorted(by_action.items())))
    if by_outcome:
        text.append(" | ")
        for position, (outcome, count) in enumerate(sorted(by_outcome.items(), key=_outcome_key)):
            if position:
                text.append(", ")
            text.append(f"{outcome} {count}", style=OUTCOME_STYLES.get(outcome, ""))
    return text


def duration(seconds: float | None) -> str:
    """Seconds for people: `0.42 s`, `12.3 s`, `4m 05s`; `running` while unknown."""
    if seconds is None:
        return "running"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def _time(moment: datetime | None) -> str:
    """A UTC timestamp to the second."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _outcome_key(pair: tuple[str, int]) -> int:
    """Failed before skipped before applied before planned."""
    return _OUTCOME_ORDER.get(pair[0], len(_OUTCOME_ORDER))


def _counts_table(by_action: Mapping[str, int], by_outcome: Mapping[str, int]) -> Table:
    """Counts by action and by outcome side by side."""
    table = Table(title="Counts", title_justify="left")
    table.add_column("Action")
    table.add_column("Items", justify="right")
    table.add_column("Outcome")
    table.add_column("Items", justify="right")
    actions = sorted(by_action.items())
    outcomes = sorted(by_outcome.items(), key=_outcome_key)
    for row in range(max(len(actions), len(outcomes))):
        action, count = actions[row] if row < len(actions) else ("", None)
        outcome, total = outcomes[row] if row < len(outcomes) else ("", None)
        table.add_row(
            Text(action),
            Text("" if count is None else str(count)),
            Text(outcome, style=OUTCOME_STYLES.get(outcome, "")),
            Text("" if total is None else str(total)),
        )
    return table


def _items_table(items: Sequence[RunItemRecord], max_items: int | None) -> Table:
    """Items with outcome, reason and error: failed first, then skipped, applied, planned."""
    ordered = sorted(
        items, key=lambda item: (_OUTCOME_ORDER.get(item.outcome, len(_OUTCOME_ORDER)), item.index)
    )
    shown = ordered if max_items is None else ordered[:max_items]
    hidden = len(ordered) - len(shown)
    caption = (
        f"{hidden} more items not shown; `idsync history RUN_ID --json` lists them all" if hidden else None
    )
    table = Table(title="Items", title_justify="left", caption=caption, caption_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Outcome")
    table.add_column("Action")
    table.add_column("Target")
    table.add_column("Subject")
    table.add_column("Reason")
    table.add_column("Error")
    for item in shown:
        subject = Text(item.subject)
        if item.new_lead:
            subject.append(f" → {item.new_lead}")
        for change in item.changes:
            subject.append(f"\n  {change.field}: {change.old!r} → {change.new!r}", style="dim")
        table.add_row(
            Text(str(item.index)),
            Text(item.outcome, style=OUTCOME_STYLES.get(item.outcome, "")),
            Text(item.action),
            Text(item.target),
            subject,
            Text(f"{item.reason_rule}: {item.reason_detail}"),
            Text(item.error or "", style="red"),
        )
    return table
