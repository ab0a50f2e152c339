"""History: runs filtered and paged, one run with its items filtered and paged.

Runs page by cursor: pass the `next_cursor` of one page as `cursor` to get the next (null on the
last page); runs that start meanwhile never shift a page. Items page by `offset` and `limit`
(`next_offset` is null on the last page); a finished run's items never change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from idsync.domain.plan import Action
from idsync.server.api.deps import SyncBody, blocking, context
from idsync.server.api.errors import refusal
from idsync.service import history, undo
from idsync.service.context import Context
from idsync.service.history import MAX_LIMIT
from idsync.service.results import RunResult
from idsync.service.runs import Trigger
from idsync.store.records import RunStatus

router = APIRouter(tags=["runs"])
Ctx = Annotated[Context, Depends(context)]
User = Query(description="A target username or a source id: runs (or items) that touched them.")


@router.get("/runs", summary="Runs, newest first, filtered and paged by cursor")
async def list_runs(
    ctx: Ctx,
    profile: Annotated[str | None, Query(description="Only this profile's runs.")] = None,
    trigger: Annotated[Trigger | None, Query(description="Only runs started so.")] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs that ended so (their outcome).")] = None,
    user: Annotated[str | None, User] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Runs per page.")] = 20,
    cursor: Annotated[str | None, Query(description="The next_cursor of the previous page.")] = None,
) -> dict[str, Any]:
    """One page of runs: `runs` and `next_cursor` (null on the last page)."""
    page = await blocking(
        history.list_runs, ctx.store, profile=profile, trigger=trigger, status=status, user=user,
        limit=limit, cursor=cursor, profiles=tuple(ctx.config.profiles),
    )  # fmt: skip
    return page.to_dict()


@router.get("/runs/{run_id}", summary="One run with its items, filtered and paged by offset")
async def get_run(
    ctx: Ctx,
    run_id: Annotated[str, Path(description="A run id (GET /runs lists them).")],
    outcome: Annotated[
        str | None, Query(description="Only items with this outcome: applied, failed, skipped, planned.")
    ] = None,
    action: Annotated[Action | None, Query(description="Only items of this action.")] = None,
    user: Annotated[str | None, User] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip (the next_offset of the last page).")] = 0,
) -> dict[str, Any]:
    """The run (status, counts, timings, notes) and one page of its items in plan order, with
    `items_total` (matching the filters) and `next_offset` (null on the last page)."""
    view = await blocking(
        history.run_view, ctx.store, run_id, outcome=outcome, action=action, user=user, limit=limit,
        offset=offset,
    )  # fmt: skip
    return view.to_dict()


@router.post("/runs/{run_id}/undo", summary="Undo a run: apply the inverse of what it changed",
             response_model=None)
async def undo_run(
    ctx: Ctx, run_id: Annotated[str, Path(description="The run to undo.")], body: SyncBody | None = None
) -> dict[str, Any] | JSONResponse:
    """The inverse plan of the run (created users deactivated, not deleted; `refusals`: items whose
    target changed since, each named with why), applied as a run with trigger `undo` unless `dry_run`.
    422 when a guard refuses it, 409 when the target changed while it was being applied."""
    options = body or SyncBody()
    result = await undo.undo(ctx, run_id, dry_run=options.dry_run, allow_over_limit=options.allow_over_limit)
    run = result.applied or RunResult(result.prepared.report)
    return refusal(run) if run.refused else result.to_dict()
