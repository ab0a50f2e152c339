"""Synchronize: pick a profile, compute its plan (stored under an id, nothing written), review it
grouped by target and action like `idsync plan`, then apply exactly that plan in the background with
live progress. Applying calls `plans.apply_stored`, which refuses a plan whose target changed since
it was made (PlanStale) or that was applied already (Conflict); the job page says so."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from idsync.console.plan_view import outcome_counts, results_line
from idsync.domain.errors import IdsyncError
from idsync.domain.plan import Outcome
from idsync.server.ui.auth import current_admin
from idsync.server.ui.jobs import Job, Recorder
from idsync.server.ui.render import render
from idsync.server.ui.state import blocking, ui_state
from idsync.server.ui.views import plan_context
from idsync.service import plans
from idsync.service.results import RunResult, UserSyncResult, guard_dict
from idsync.service.runs import Trigger

ITEMS_PER_GROUP = 50
"""Items shown per action group unless the page is asked for all (?full=1)."""


async def sync_page(request: Request) -> Response:
    """Pick a profile and compute its plan."""
    state = ui_state(request)
    chosen = request.query_params.get("profile") or next(iter(sorted(state.ctx.config.profiles)), "")
    return render(request, "sync.html", {"chosen": chosen, "error": None})


async def make_plan(request: Request) -> Response:
    """POST: compute and store the profile's plan, then show it."""
    state = ui_state(request)
    form = await request.form()
    profile = str(form.get("profile", ""))
    try:
        result = await plans.make_plan(state.ctx, profile, keep=True, trigger=Trigger.UI)
    except IdsyncError as exc:
        return render(request, "sync.html", {"chosen": profile, "error": str(exc)}, status_code=422)
    if result.id is None:
        error = result.report.error or "the plan could not be computed"
        return render(request, "sync.html", {"chosen": profile, "error": error}, status_code=422)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/plans/{result.id}", status_code=303)


async def plan_page(request: Request) -> Response:
    """A stored plan with the guards' verdict on it now, and the button to apply it."""
    state = ui_state(request)
    plan_id = request.path_params["plan_id"]
    try:
        shown = await blocking(plans.show_plan, state.ctx, plan_id)
    except IdsyncError as exc:
        return render(
            request, "message.html", {"title": "No such plan", "message": str(exc)}, status_code=404
        )
    plan = shown.report.plan
    assert plan is not None, "a stored plan has its plan"
    full = request.query_params.get("full") == "1"
    context = {
        "plan_id": plan_id,
        "plan": plan,
        "guard": guard_dict(shown.report.guard),
        "applied_run_id": shown.applied_run_id,
        "full": full,
        "limit": None if full else ITEMS_PER_GROUP,
        **state.plan_views.get_or_make(plan_id, lambda: plan_context(plan)),
    }
    return render(request, "plan.html", context)


async def apply_plan(request: Request) -> Response:
    """POST: apply exactly the stored plan in the background; the job page shows its progress."""
    state = ui_state(request)
    plan_id = request.path_params["plan_id"]
    form = await request.form()
    allow = form.get("allow_over_limit") == "yes"

    async def work(progress: Recorder) -> RunResult:
        return await plans.apply_stored(
            state.ctx, plan_id, allow_over_limit=allow, trigger=Trigger.UI, progress=progress
        )

    job = state.jobs.start("apply", f"Apply plan {plan_id}", current_admin(request), work)
    job.plan_id = plan_id
    job.profile = str(form.get("profile", "")) or None  # only for the "make a new plan" link
    return RedirectResponse(f"{request.scope.get('root_path', '')}/jobs/{job.id}", status_code=303)


def job_context(job: Job) -> dict[str, object]:
    """What the job page and its progress fragment show."""
    context: dict[str, object] = {"job": job, "bars": job.progress.bars()}
    result = job.result
    if isinstance(result, UserSyncResult):
        context["user_sync"] = result
        result = result.result
    if isinstance(result, RunResult):
        report = result.report
        context["run"] = result
        context["guard"] = guard_dict(report.guard)
        if report.plan is not None:
            context["line"] = results_line(report.plan, report.results)
            context["counts"] = outcome_counts(report.plan, report.results)
            context["failed"] = [
                (report.plan.items[r.index], r) for r in report.results if r.outcome is Outcome.FAILED
            ]
    return context


async def job_page(request: Request) -> Response:
    """A background job: its progress while it runs, then its result."""
    job = ui_state(request).jobs.get(request.path_params["job_id"])
    if job is None:
        message = "This job is not known to this server (it restarted, or the link is old); see Sync history."
        return render(request, "message.html", {"title": "No such job", "message": message}, status_code=404)
    return render(request, "job.html", job_context(job))


async def job_progress(request: Request) -> Response:
    """The progress fragment htmx polls until the job is done (then the fragment stops polling)."""
    job = ui_state(request).jobs.get(request.path_params["job_id"])
    if job is None:
        return render(
            request, "message.html", {"title": "No such job", "message": "unknown job"}, status_code=404
        )
    return render(request, "_job.html", job_context(job))


routes: list[BaseRoute] = [
    Route("/sync", sync_page, methods=["GET"], name="sync"),
    Route("/sync/plan", make_plan, methods=["POST"], name="make_plan"),
    Route("/plans/{plan_id}", plan_page, methods=["GET"], name="plan"),
    Route("/plans/{plan_id}/apply", apply_plan, methods=["POST"], name="apply_plan"),
    Route("/jobs/{job_id}", job_page, methods=["GET"], name="job"),
    Route("/jobs/{job_id}/progress", job_progress, methods=["GET"], name="job_progress"),
]
