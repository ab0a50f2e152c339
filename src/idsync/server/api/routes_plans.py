"""Plans: compute and store one, show it, apply exactly it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from idsync.server.api.deps import ApplyBody, PlanBody, blocking, context
from idsync.server.api.errors import refusal
from idsync.service import plans
from idsync.service.context import Context
from idsync.service.runs import Trigger

router = APIRouter(tags=["plans"])
PlanId = Annotated[str, Path(description="The id POST /plans answered.")]
Ctx = Annotated[Context, Depends(context)]


@router.post("/plans", status_code=201, summary="Compute a plan and store it")
async def create_plan(ctx: Ctx, body: PlanBody) -> dict[str, Any]:
    """Read the source and the targets, compute what a sync would change, write nothing, and store the
    plan under an `id` for review. `guard` says whether the safety limits would refuse it."""
    result = await plans.make_plan(ctx, body.profile, keep=True, trigger=Trigger.API)
    return result.to_dict()


@router.get("/plans/{plan_id}", summary="Show a stored plan")
async def get_plan(ctx: Ctx, plan_id: PlanId) -> dict[str, Any]:
    """The stored plan, the guards' verdict on it, and `applied_run_id` once it was applied."""
    return (await blocking(plans.show_plan, ctx, plan_id)).to_dict()


@router.post("/plans/{plan_id}/apply", summary="Apply exactly a stored plan", response_model=None)
async def apply_plan(
    ctx: Ctx, plan_id: PlanId, body: ApplyBody | None = None
) -> dict[str, Any] | JSONResponse:
    """Apply the stored plan's items, no others. 409 when a target changed since the plan was made
    (make a new plan) or when it was applied already; 422 when a guard refuses it (the body names the
    limit and the override `allow_over_limit`)."""
    options = body or ApplyBody()
    result = await plans.apply_stored(ctx, plan_id, allow_over_limit=options.allow_over_limit)
    return refusal(result) if result.refused else result.to_dict()
