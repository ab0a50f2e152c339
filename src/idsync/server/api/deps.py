"""What the routes share: the service context, the login-sync coalescer, request bodies, and running
blocking service calls off the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from idsync.service.context import Context
from idsync.service.users import LoginSync

T = TypeVar("T")


def context(request: Request) -> Context:
    """The service context the API was built with."""
    ctx: Context = request.app.state.ctx
    return ctx


def login_sync(request: Request) -> LoginSync:
    """The coalescer of single-user syncs of this server."""
    coalescer: LoginSync = request.app.state.login_sync
    return coalescer


async def blocking(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call that reads or writes the store in a worker thread."""
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyncBody(_Body):
    """Options of a sync now."""

    dry_run: bool = Field(False, description="Compute and return the plan; change nothing.")
    allow_over_limit: bool = Field(
        False, description="Apply even above the profile's safety limits (max_deactivations, ...)."
    )


class PlanBody(_Body):
    """What to plan."""

    profile: str = Field(description="The profile to plan (GET /profiles lists them).")


class ApplyBody(_Body):
    """Options of applying a stored plan."""

    allow_over_limit: bool = Field(
        False, description="Apply even above the profile's safety limits (max_deactivations, ...)."
    )
