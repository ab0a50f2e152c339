"""A plan and its results for people, like a terraform plan: grouped, counted, coloured, with reasons.

Everything that came from a source or a target (names, reasons, errors, field values) is rendered as
plain `Text`, never as markup, so a group called "[red]x" prints as itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.engine.guards import GuardReport

DEFAULT_LIMIT = 20
"""Items shown per action group unless full=True."""

_SIGNS: Mapping[Action, tuple[str, str]] = {
    Action.CREATE_GROUP: ("+", "green"),
    Action.RENAME_GROUP: ("~", "yellow"),
    Action.CREATE_USER: ("+", "green"),
    Action.LINK_USER: ("+", "green"),
    Action.ADD_MEMBER: ("+", "green"),
    Action.CREATE_CUSTOMER: ("+", "green"),
    Action.ADD_CUSTOMER: ("+", "green"),
    Action.REMOVE_CUSTOMER: ("-", "red"),
    Action.RENAME_USER: ("~", "yellow"),
    Action.UPDATE_USER: ("~", "yellow"),
    Action.SET_USER_PROPERTY: ("~", "yellow"),
    Action.HAND_OVER_LEAD: ("~", "yellow"),
    Action.REACTIVATE_USER: ("↺", "cyan"),
    Action.RESTORE_LICENCE: ("↺", "cyan"),
    Action.REMOVE_MEMBER: ("-", "red"),
    Action.REVOKE_LICENCE: ("-", "red"),
    Action.DEACTIVATE_USER: ("-", "red"),
    Action.DELETE_USER: ("-", "red"),
    Action.DELETE_GROUP: ("-", "red"),
}
_TITLES: Mapping[Action, str] = {
    Action.CREATE_GROUP: "Create groups",
    Action.RENAME_GROUP: "Rename groups (renamed in the source)",
    Action.CREATE_USER: "Create users",
    Action.LINK_USER: "Link existing users",
    Action.RENAME_USER: "Rename users",
    Action.REACTIVATE_USER: "Reactivate users",
    Action.RESTORE_LICENCE: "Give licences back (licence-granting groups)",
    Action.UPDATE_USER: "Update users",
    Action.SET_USER_PROPERTY: "Set user properties",
    Action.ADD_MEMBER: "Add memberships",
    Action.CREATE_CUSTOMER: "Create portal customers (service desks)",
    Action.ADD_CUSTOMER: "Add customers to service desks",
    Action.REMOVE_CUSTOMER: "Remove customers from service desks",
    Action.HAND_OVER_LEAD: "Hand over leads",
    Action.REMOVE_MEMBER: "Remove memberships",
    Action.REVOKE_LICENCE: "Take licences away (licence-granting groups)",
    Action.DEACTIVATE_USER: "Deactivate users",
    Action.DELETE_USER: "Delete users",
    Action.DELETE_GROUP: "Delete groups (replaced under their new name)",
}
_SUMMARY: tuple[tuple[str, tuple[Action, ...]], ...] = (
    ("to create", (Action.CREATE_USER, Action.CREATE_GROUP)),
    ("to link", (Action.LINK_USER,)),
    ("to update", (Action.UPDATE_USER, Action.RENAME_USER, Action.SET_USER_PROPERTY, Action.RENAME_GROUP)),
    ("to reactivate", (Action.REACTIVATE_USER, Action.RESTORE_LICENCE)),
    ("lead handovers", (Action.HAND_OVER_LEAD,)),
    ("to deactivate", (Action.DEACTIVATE_USER, Action.REVOKE_LICENCE)),
    ("to delete", (Action.DELETE_USER, Action.DELETE_GROUP)),
    ("membership changes", (Action.ADD_MEMBER, Action.REMOVE_MEMBER)),
    ("service desk customer changes", (Action.CREATE_CUSTOMER, Action.ADD_CUSTOMER, Action.REMOVE_CUSTOMER)),
)
_OUTCOME_STYLES: Mapping[Outcome, str] = {
    Outcome.APPLIED: "green",
    Outcome.FAILED: "bold red",
    Outcome.SKIPPED: "yellow",
}


def action_title(action: Action) -> str:
    """The heading of an action's group, e.g. "Create users" (the web UI uses the same words)."""
    return _TITLES[action]


def action_sign(action: Action) -> tuple[str, str]:
    """An action's sign and colour name, e.g. ("+", "green")."""
    return _SIGNS[action]


def sign(action: Action) -> Text:
    """The coloured sign of an action: + adds, ~ changes, - takes away, ↺ reactivates."""
    symbol, style = _SIGNS[action]
    return Text(symbol, style=f"bold {style}")


def summary_line(plan: Plan) -> str:
    """One closing line: "Plan: 12 to create, 3 to update, 2 to deactivate, 40 membership changes."."""
    counts = plan.counts()
    parts = []
    for label, actions in _SUMMARY:
        total = sum(counts[action] for action in actions)
        if total:
            parts.append(f"{total} {label.removesuffix('s') if total == 1 else label}")
    return f"Plan: {', '.join(parts)}." if parts else "No changes."


def targets_of(plan: Plan) -> list[str]:
    """Every target the plan reads or writes, in first-seen order."""
    names: dict[str, None] = {}
    for source in (plan.queries, plan.managed_users, plan.target_fingerprints):
        names.update(dict.fromkeys(source))
    names.update(dict.fromkeys(item.target for item in plan.items))
    return list(names)


def render_header(console: Console, plan: Plan) -> None:
    """Profile, source and scope, what was read, the targets and when the plan was made."""
    header = Text()
    header.append("Profile ", style="bold").append(plan.profile, style="bold cyan")
    planned = f"{plan.created_at:%Y-%m-%d %H:%M:%S %Z}".strip()
    header.append(f"  (planned {planned})", style="dim")
    header.append("\nSource  ", style="bold").append(plan.source)
    header.append(f" · scope {plan.scope} · read {plan.source_users} users, {plan.source_groups} groups")
    header.append("\nTargets ", style="bold").append(", ".join(targets_of(plan)) or "(none)")
    for target, managed in plan.managed_users.items():
        header.append(f"\n        {target}: {managed} users managed by idsync", style="dim")
    if plan.single_user is not None:
        header.append("\nSingle-user run for ", style="bold").append(plan.single_user)
    console.print(header)


def _change_text(change: Change) -> Text:
    return Text.assemble((f"{change.field}: ", "dim"), _value(change.old), (" → ", "dim"), _value(change.new))


def _indented(text: Text) -> Padding:
    """Detail lines sit under the subject; when they wrap, the continuation keeps the indent."""
    return Padding(text, (0, 0, 0, 6), expand=False)


def _value(value: str | bool | None) -> Text:
    if value is None:
        return Text("(none)", style="dim italic")
    if isinstance(value, bool):
        return Text(str(value).lower())
    return Text(repr(value))


def item_lines(item: PlanItem, *, show_target: bool) -> list[RenderableType]:
    """The lines of one item: sign and subject, each change (old → new), the reason."""
    head = Text.assemble("  ", sign(item.action), " ", (item.subject, "bold"))
    if show_target:
        head.append(f"  [{item.target}]", style="dim")
    lines: list[RenderableType] = [head]
    if item.action is Action.HAND_OVER_LEAD and item.lead is not None:
        lead = Text.assemble(("lead: ", "dim"), _value(item.lead.lead), (" → ", "dim"), _value(item.new_lead))
        lines.append(_indented(lead))
    lines += [_indented(_change_text(change)) for change in item.changes]
    lines.append(_indented(Text.assemble(("because ", "dim"), (str(item.reason), "italic"))))
    return lines


def render_plan(console: Console, plan: Plan, *, full: bool = False, limit: int = DEFAULT_LIMIT) -> None:
    """The whole plan: header, items grouped by target (when there are several) and by action in
    application order, disputes, notes and the closing summary. Groups longer than `limit` end in
    "… and N more" unless `full`."""
    render_header(console, plan)
    targets = plan.targets()
    for target in targets:
        if len(targets) > 1:
            console.print()
            count = sum(1 for item in plan.items if item.target == target)
            console.print(Rule(Text(f"{target} · {count} items", style="bold cyan"), align="left"))
        unread = plan.unread_targets.get(target)
        if unread is not None:
            console.print(Text(f"! not read, nothing planned: {unread}", style="bold red"))
        render_seats(console, plan, target)
        groups: dict[Action, list[PlanItem]] = {}
        for _, item in plan.ordered():
            if item.target == target:
                groups.setdefault(item.action, []).append(item)
        for action, members in groups.items():
            console.print()
            console.print(Text.assemble(sign(action), " ", (f"{_TITLES[action]} ({len(members)})", "bold")))
            shown = members if full else members[:limit]
            for item in shown:
                for line in item_lines(item, show_target=False):
                    console.print(line)
            if len(members) > len(shown):
                console.print(_more(len(members) - len(shown)))
    render_disputes_and_notes(console, plan)
    console.print()
    console.print(Text(summary_line(plan), style="bold"))


def render_seats(console: Console, plan: Plan, target: str) -> None:
    """A target's licence seats the plan takes against those left, and the users held back for want
    of one (`safety.over_seats: hold_new_users`)."""
    for count in (c for c in plan.seats if c.target == target):
        left = "unlimited" if count.left is None else f"{count.left} left"
        over = count.left is not None and count.needed > count.left
        console.print(Text.assemble(
            ("seats ", "dim"), (count.name, "bold"), (f" ({count.licence}): ", "dim"),
            (f"{count.needed} needed, {left}", "bold red" if over else ""),
        ))
    held = [h for h in plan.held_users if h.target == target]
    if held:
        console.print(Text(f"! Held back, no licence seat left ({len(held)})", style="bold magenta"))
        for user in held:
            console.print(Text.assemble(
                "  ", (user.user, "bold"), f" ← source user {user.source_id or '?'}",
                (f"  {user.items} items held; no seat of {', '.join(user.licences)}", "dim"),
            ))


def _more(hidden: int) -> Text:
    return Text(f"  … and {hidden} more (show all with --full)", style="dim")


def render_disputes_and_notes(console: Console, plan: Plan) -> None:
    """Disputed usernames and people the target cannot accept (nothing applied for either), then the
    reviewer notes."""
    if plan.disputes:
        console.print()
        console.print(Text(f"! Disputed, not applied ({len(plan.disputes)})", style="bold magenta"))
        for dispute in plan.disputes:
            console.print(Text.assemble(
                "  ", (dispute.username, "bold"), f" ← source users {', '.join(dispute.source_ids)}",
                ("\n      ", ""), (dispute.detail, "italic"),
            ))
    if plan.unsyncable:
        console.print()
        console.print(Text(f"! Not syncable, not sent ({len(plan.unsyncable)})", style="bold magenta"))
        for person in plan.unsyncable:
            console.print(Text.assemble(
                "  ", (person.username, "bold"), f" ← source user {person.source_id}",
                ("\n      ", ""), (person.detail, "italic"),
            ))
    if plan.notes:
        console.print()
        console.print(Text(f"Notes ({len(plan.notes)})", style="bold"))
        for note in plan.notes:
            console.print(Text.assemble("  • ", note))


def outcome_counts(plan: Plan, results: Iterable[ItemResult]) -> dict[Action, Counter[Outcome | None]]:
    """Per action, how many items ended in each outcome (None: the item has no result)."""
    by_index = {result.index: result.outcome for result in results}
    table: dict[Action, Counter[Outcome | None]] = {}
    for index, item in plan.ordered():
        table.setdefault(item.action, Counter())[by_index.get(index)] += 1
    return table


def results_line(plan: Plan, results: Sequence[ItemResult]) -> str:
    """One closing line: "Applied 120 of 125 items: 3 failed, 2 skipped."."""
    outcomes = Counter(result.outcome for result in results)
    missing = len(plan.items) - len({result.index for result in results})
    if not plan.items:
        return "No changes."
    tail = [f"{outcomes[o]} {o.value}" for o in (Outcome.FAILED, Outcome.SKIPPED) if outcomes[o]]
    if missing:
        tail.append(f"{missing} not run")
    text = f"Applied {outcomes[Outcome.APPLIED]} of {len(plan.items)} items"
    return f"{text}: {', '.join(tail)}." if tail else f"{text}."


def render_results(
    console: Console, plan: Plan, results: Sequence[ItemResult], *, full: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> None:
    """After apply: counts by action and outcome, then each failed item with its error."""
    counts = outcome_counts(plan, results)
    if counts:
        table = Table(title=f"Results of profile {plan.profile}", title_justify="left")
        table.add_column("")
        table.add_column("Action")
        for outcome in Outcome:
            table.add_column(outcome.value.capitalize(), justify="right", style=_OUTCOME_STYLES[outcome])
        has_missing = any(counter[None] for counter in counts.values())
        if has_missing:
            table.add_column("Not run", justify="right", style="dim")
        for action, counter in counts.items():
            cells = [str(counter[outcome] or "") for outcome in Outcome]
            if has_missing:
                cells.append(str(counter[None] or ""))
            table.add_row(sign(action), Text(_TITLES[action]), *cells)
        console.print(table)
    failed = [(r, plan.items[r.index]) for r in results
              if r.outcome is Outcome.FAILED and 0 <= r.index < len(plan.items)]
    failed.sort(key=lambda pair: (pair[1].action.phase, pair[0].index))
    if failed:
        console.print()
        console.print(Text(f"Failed items ({len(failed)})", style="bold red"))
        shown = failed if full else failed[:limit]
        for result, item in shown:
            attempts = f" after {result.attempts} attempts" if result.attempts > 1 else ""
            console.print(Text.assemble(
                "  ", sign(item.action), " ", (item.subject, "bold"), (f"  {item.action.value}", "dim"),
                (f"  [{item.target}]", "dim"), (f"{attempts}\n      ", "dim"),
                (result.error or "(no error recorded)", "red"),
            ))
        if len(failed) > len(shown):
            console.print(_more(len(failed) - len(shown)))
    console.print(Text(results_line(plan, results), style="bold"))


def render_guard_report(console: Console, report: GuardReport) -> None:
    """The guards' verdict: refusals in red, limits lifted by --allow-over-limit in yellow (as Text,
    since messages quote user and group names)."""
    for violation in report.blocking:
        console.print(Text(violation.message, style="bold red"))
    for violation in report.overridden:
        message = violation.message.removeprefix("refused: ")
        console.print(Text(f"allowed by --allow-over-limit: {message}", style="yellow"))
