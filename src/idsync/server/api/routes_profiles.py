"""Profiles, sync now, and one person: sync at login and lookup."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from idsync.server.api.deps import SyncBody, blocking, context, login_sync
from idsync.server.api.errors import refusal
from idsync.service import profiles, runs, users
from idsync.service.context import Context
from idsync.service.users import LoginSync

router = APIRouter(tags=["profiles"])
ProfileName = Annotated[str, Path(description="A profile of the config (GET /profiles lists them).")]
Login = Annotated[str, Path(description="The person's login in the profile's source, e.g. ada@example.com.")]
Ctx = Annotated[Context, Depends(context)]


@router.get("/profiles", summary="The profiles with their schedule, next run and last run")
async def list_profiles(ctx: Ctx) -> dict[str, Any]:
    """Every configured profile: source, targets, `schedule` (cron or interval, null when the profile
    runs only when asked), `next_run` under `idsync serve` and the `last_run` from history."""
    found = await blocking(profiles.list_profiles, ctx)
    return {"profiles": [p.to_dict() for p in found]}


@router.get("/profiles/{profile}", summary="One profile with its schedule, next run and last run")
async def get_profile(ctx: Ctx, profile: ProfileName) -> dict[str, Any]:
    """One profile (404 listing the profiles when there is no such one)."""
    return (await blocking(profiles.profile_info, ctx, profile)).to_dict()


@router.post("/profiles/{profile}/sync", summary="Sync the profile now", response_model=None)
async def sync_now(
    ctx: Ctx, profile: ProfileName, body: SyncBody | None = None
) -> dict[str, Any] | JSONResponse:
    """Read the source, plan, check the guards and apply, as `idsync sync --yes` does. Answers the run
    (status, run_id, plan, results); 422 when a guard refuses (the body names the limit and the
    override `allow_over_limit`); 409 when the profile is running already."""
    options = body or SyncBody()
    result = await runs.sync(
        ctx, profile, trigger=runs.Trigger.API, dry_run=options.dry_run,
        allow_over_limit=options.allow_over_limit,
    )  # fmt: skip
    return refusal(result) if result.refused else result.to_dict()


@router.post(
    "/profiles/{profile}/users/{login}/sync",
    summary="Sync one person now (sync at login)",
    response_model=None,
)
async def sync_user(
    ctx: Ctx, coalescer: Annotated[LoginSync, Depends(login_sync)], profile: ProfileName, login: Login
) -> dict[str, Any] | JSONResponse:
    """Sync this person's account and memberships, nobody else's, and answer what changed once it is
    written. Concurrent calls for the same person share one run and all get its result. This is what
    an SSO plugin's post-login hook or a reverse proxy calls after a successful login."""
    result = await coalescer.sync(profile, login)
    if result.result.refused:
        return refusal(result.result)
    return result.to_dict()


@router.get("/profiles/{profile}/users/{login}", summary="Look one person up (test sync)")
async def lookup_user(ctx: Ctx, profile: ProfileName, login: Login) -> dict[str, Any]:
    """The person as the profile's source holds them (attributes, groups) and what the profile would
    write for them (username, fields, groups with the reason), without touching any target."""
    return (await users.lookup(ctx, profile, login)).to_dict()
