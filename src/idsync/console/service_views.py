"""Terminal renderings of service results that have no view of their own elsewhere: `idsync check`'s
connection table, `idsync user lookup`'s user and mapping tables, `idsync api token list`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from idsync.engine.lookup import UserPreview, printable
from idsync.service.results import CheckResult
from idsync.store.api_tokens import ApiToken


def render_check(console: Console, result: CheckResult) -> None:
    """The config summary line and one row per connection."""
    table = Table(title="connections", title_justify="left")
    for column in ("name", "type", "status", "detail"):
        table.add_column(column)
    for row in result.connections:
        table.add_row(row.name, row.type, "[green]ok[/]" if row.ok else "[red]failed[/]", row.detail)
    console.print(f"config ok: {len(result.connections)} connections, {result.profiles} profiles")
    console.print(table)


def render_preview(console: Console, connection: str, login: str, preview: UserPreview) -> None:
    """The source user's attributes and groups, then what each profile would write."""
    attributes = Table(
        title=f"{connection}: {login} ({preview.user.status}, id {preview.user.id})", title_justify="left"
    )
    attributes.add_column("attribute")
    attributes.add_column("value", overflow="fold")
    for name, value in sorted(preview.user.attributes.items()):
        attributes.add_row(name, printable(value))
    console.print(attributes)
    console.print(f"source groups: {', '.join(preview.groups) or '(none)'}", highlight=False)
    for view in preview.profiles:
        if view.user is None:
            console.print(f"[yellow]profile {view.profile}: not synced[/] — {view.why_not}", highlight=False)
            continue
        mapped = Table(title=f"profile {view.profile} would write", title_justify="left")
        mapped.add_column("field")
        mapped.add_column("value", overflow="fold")
        mapped.add_row("username", view.user.username)
        mapped.add_row("email", view.user.email or "")
        mapped.add_row("display name", view.user.display_name or "")
        mapped.add_row("active", "yes" if view.user.active else "no")
        for key, value in sorted(view.user.properties.items()):
            mapped.add_row(f"property {key}", value)
        for group, reason in sorted(view.user.groups.items()):
            mapped.add_row(f"group {group}", str(reason))
        console.print(mapped)
    if not preview.profiles:
        console.print(f"no profile reads from {connection!r}", highlight=False)


def render_tokens(console: Console, tokens: Sequence[ApiToken]) -> None:
    """One row per API token: name, state, when created, revoked and last used."""
    if not tokens:
        console.print("no API tokens; create one with: idsync api token create NAME")
        return
    table = Table(title="API tokens", title_justify="left")
    for column in ("name", "state", "created", "revoked", "last used"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            token.name,
            "[green]active[/]" if token.active else "[red]revoked[/]",
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
        )
    console.print(table)
