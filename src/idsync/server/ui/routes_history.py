"""Sync history: runs (filters: profile, trigger, outcome, date), one run's items (filters: user,
group, action, outcome) with reason and error, a person's timeline across runs, and a run as JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from idsync.domain.errors import IdsyncError
from idsync.server.ui.render import render
from idsync.server.ui.state import blocking, ui_state
from idsync.service import history
from idsync.service.errors import NotFound

RUNS_PER_PAGE = 25
ITEMS_PER_PAGE = 100


class BadDate(ValueError):
    """A date filter that is not YYYY-MM-DD."""


def _day(field: str, value: str | None) -> datetime | None:
    """The start (UTC) of the day a YYYY-MM-DD filter names."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadDate(f"{field}: {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-03-01") from None


def _filled(request: Request, *names: str) -> dict[str, str | None]:
    return {name: request.query_params.get(name) or None for name in names}


async def runs_page(request: Request) -> Response:
    """Runs newest first, filtered, paged by cursor."""
    state = ui_state(request)
    chosen = _filled(request, "profile", "trigger", "status", "from", "to", "cursor")
    error = None
    page = None
    try:
        after = _day("from", chosen["from"])
        until = _day("to", chosen["to"])
        page = await blocking(
            history.list_runs, state.ctx.store, profile=chosen["profile"], trigger=chosen["trigger"],
            status=chosen["status"], limit=RUNS_PER_PAGE, cursor=chosen["cursor"],
            profiles=tuple(state.ctx.config.profiles), started_after=after,
            started_before=until + timedelta(days=1) if until else None,
        )  # fmt: skip
    except (BadDate, IdsyncError) as exc:
        error = str(exc)
    context = {
        "page": page, "chosen": chosen, "error": error, "triggers": history.TRIGGERS,
        "statuses": history.STATUSES,
    }  # fmt: skip
    return render(request, "runs.html", context, status_code=422 if error else 200)


async def run_page(request: Request) -> Response:
    """One run: header, counts, notes, disputes, then its items filtered and paged."""
    state = ui_state(request)
    run_id = request.path_params["run_id"]
    chosen = _filled(request, "user", "group", "action", "outcome")
    try:
        offset = max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        offset = 0
    try:
        view = await blocking(
            history.run_view, state.ctx.store, run_id, outcome=chosen["outcome"], action=chosen["action"],
            user=chosen["user"], group=chosen["group"], limit=ITEMS_PER_PAGE, offset=offset,
        )  # fmt: skip
    except NotFound as exc:
        return render(request, "message.html", {"title": "No such run", "message": str(exc)}, status_code=404)
    except IdsyncError as exc:
        bad = {"title": "Bad filter", "message": str(exc)}
        return render(request, "message.html", bad, status_code=422)
    query = urlencode({k: v for k, v in chosen.items() if v})
    context = {"view": view, "run": view.summary, "chosen": chosen, "query": query,
               "action_values": history.ACTIONS, "outcome_values": history.OUTCOMES}  # fmt: skip
    return render(request, "run.html", context)


async def run_export(request: Request) -> Response:
    """The run with every item as JSON (what `idsync history RUN_ID --json` prints), as a download."""
    state = ui_state(request)
    run_id = request.path_params["run_id"]
    try:
        detail = await blocking(history.run_detail, state.ctx.store, run_id)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    headers = {"Content-Disposition": f'attachment; filename="idsync-run-{run_id}.json"'}
    return JSONResponse(detail.to_dict(), headers=headers)


async def person_page(request: Request) -> Response:
    """A person's timeline across runs: each run that touched them and what it did, with the reason."""
    state = ui_state(request)
    user = (request.query_params.get("user") or "").strip()
    profile = request.query_params.get("profile") or None
    timeline = None
    error = None
    if user:
        try:
            timeline = await blocking(history.person_timeline, state.ctx.store, user, profile=profile)
        except IdsyncError as exc:
            error = str(exc)
    context = {"user": user, "timeline": timeline, "error": error, "chosen_profile": profile}
    return render(request, "person.html", context)


routes: list[BaseRoute] = [
    Route("/runs", runs_page, methods=["GET"], name="runs"),
    Route("/runs/{run_id}", run_page, methods=["GET"], name="run"),
    Route("/runs/{run_id}/export.json", run_export, methods=["GET"], name="run_export"),
    Route("/people", person_page, methods=["GET"], name="person"),
]
