"""Rendering a page: the templates, their filters, and what every page gets in its context.

`render(request, "page.html", {...})` adds `base` (the UI's URL prefix, e.g. /ui), `csrf_token`,
`csrf_field()` (the hidden input every form carries), `admin` (the logged-in name, or None on the
login page) and `profiles` (the profile names, for the navigation). Jinja2 escapes everything, so a
group called "<b>x" shows as itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from idsync.console.history_view import duration
from idsync.server.ui.csrf import FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def when(moment: datetime | str | None) -> str:
    """A time (or an ISO 8601 string, as the JSON of a run has it) for people, in UTC to the second
    ("-" when unknown)."""
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "3 min ago", "in 2 h" (relative to now)."""
    if moment is None:
        return "-"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    else:
        amount = f"{int(seconds)} s"
    return f"in {amount}" if ahead else f"{amount} ago"


def make_templates() -> Jinja2Templates:
    """The UI's template set with its filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
    )
    env.filters["when"] = when
    env.filters["ago"] = ago
    env.filters["duration"] = duration
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page `template` rendered with `context` and the parts every page gets."""
    from idsync.server.ui.state import ui_state

    state = ui_state(request)
    token = csrf_token(request)
    field = Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))
    full: dict[str, Any] = {
        "base": request.scope.get("root_path", ""),
        "csrf_token": token,
        "csrf_field": lambda: field,
        "admin": request.scope.get("idsync.admin"),
        "profiles": sorted(state.ctx.config.profiles),
        "path": request.url.path,
        **(context or {}),
    }
    return state.templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=dict(headers or {})
    )
