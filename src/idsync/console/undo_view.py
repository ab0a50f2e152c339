"""An undo for people: which run it reverses, its plan as any plan is shown, and in red every item
it leaves alone because the target changed since the run (which object, its value now, the run's).

Names and values from the targets are rendered as plain `Text`, never as markup."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console
from rich.text import Text

from idsync.console.plan_view import render_plan
from idsync.service.undo import REFUSED_NOTE, UndoPlan


def render_undo(console: Console, prepared: UndoPlan, *, full: bool = False, guard: bool = True) -> None:
    """The undo's header, its plan (the refusals taken out of the notes), the refusals and (with
    `guard`; the results of an applied undo say it otherwise) the guards' verdict."""
    run = prepared.run
    console.print(Text.assemble(
        ("Undo of run ", "bold"), (run.id, "bold cyan"),
        f" · profile {run.profile} · trigger {run.trigger} · started {run.started_at:%Y-%m-%d %H:%M:%S} UTC"
        f" · {run.status}",
    ))  # fmt: skip
    plan = prepared.plan
    render_plan(console, replace(plan, notes=tuple(n for n in plan.notes if not n.startswith(REFUSED_NOTE))),
                full=full)
    if prepared.refusals:
        console.print()
        heading = f"! Not undone: changed since the run ({len(prepared.refusals)})"
        console.print(Text(heading, style="bold red"))
        for refusal in prepared.refusals:
            console.print(Text.assemble(
                "  ", (refusal.subject, "bold"), (f"  {refusal.action.value}  [{refusal.target}]", "dim"),
                ("\n      ", ""), (refusal.detail, "red"),
            ))  # fmt: skip
    verdict = prepared.guard
    if guard and verdict.message:
        console.print(Text(verdict.message, style="bold red" if verdict.refused else "yellow"))
