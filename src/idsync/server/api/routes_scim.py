"""The bearer tokens of the SCIM inboxes (scim_inbound connections), as `idsync scim token` does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from idsync.server.api.deps import blocking, context
from idsync.service import tokens
from idsync.service.context import Context

router = APIRouter(tags=["scim tokens"])
Ctx = Annotated[Context, Depends(context)]
Connection = Annotated[str, Path(description="A scim_inbound connection of the config.")]
_NO_STORE = {"Cache-Control": "no-store"}


@router.post("/scim-tokens/{connection}", status_code=201, summary="Issue a SCIM inbox's token")
async def issue(ctx: Ctx, connection: Connection, response: Response) -> dict[str, Any]:
    """A new bearer token for the IdP to send, shown in this answer only (idsync keeps its SHA-256).
    409 when the connection has a token already: rotate it instead."""
    response.headers.update(_NO_STORE)
    return (await blocking(tokens.issue_scim_token, ctx, connection)).to_dict()


@router.post("/scim-tokens/{connection}/rotate", summary="Rotate a SCIM inbox's token")
async def rotate(ctx: Ctx, connection: Connection, response: Response) -> dict[str, Any]:
    """Replace the token (the old one stops working within seconds); the new one is in this answer only."""
    response.headers.update(_NO_STORE)
    return (await blocking(tokens.issue_scim_token, ctx, connection, rotate=True)).to_dict()


@router.delete("/scim-tokens/{connection}", summary="Revoke a SCIM inbox's token")
async def revoke(ctx: Ctx, connection: Connection) -> dict[str, Any]:
    """Remove the token: the IdP's pushes get 401. `revoked` is false when there was none."""
    return {"connection": connection, "revoked": await blocking(tokens.revoke_scim_token, ctx, connection)}
