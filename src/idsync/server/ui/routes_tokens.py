"""Tokens: the SCIM bearer token of each inbound connection and the REST API's tokens. A new token is
shown once, on the answer to the form that made it (never stored, never shown again, and the page is
not cached); afterwards only whether it is set."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from idsync.domain.errors import IdsyncError
from idsync.server.ui.render import render
from idsync.server.ui.state import blocking, ui_state
from idsync.service import tokens
from idsync.service.results import IssuedToken

NO_STORE = {"Cache-Control": "no-store"}


async def _page(
    request: Request, *, issued: IssuedToken | None = None, error: str | None = None, status_code: int = 200
) -> Response:
    state = ui_state(request)
    api_tokens = await blocking(tokens.list_api_tokens, state.ctx.store)
    scim = await blocking(tokens.scim_token_states, state.ctx)
    context = {"api_tokens": api_tokens, "scim": scim, "issued": issued, "error": error}
    return render(request, "tokens.html", context, status_code=status_code, headers=NO_STORE)


async def tokens_page(request: Request) -> Response:
    """Every token (never the tokens themselves)."""
    return await _page(request)


async def create_api_token(request: Request) -> Response:
    """POST: a new API token, shown once on the answer."""
    form = await request.form()
    try:
        issued = await blocking(
            tokens.create_api_token, ui_state(request).ctx.store, str(form.get("name", ""))
        )
    except IdsyncError as exc:
        return await _page(request, error=str(exc), status_code=422)
    return await _page(request, issued=issued)


async def revoke_api_token(request: Request) -> Response:
    """POST: revoke an API token (requests with it get 401 within seconds)."""
    try:
        await blocking(tokens.revoke_api_token, ui_state(request).ctx.store, request.path_params["name"])
    except IdsyncError as exc:
        return await _page(request, error=str(exc), status_code=404)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/tokens", status_code=303)


async def scim_token(request: Request) -> Response:
    """POST: issue, rotate or revoke the SCIM token of an inbound connection."""
    state = ui_state(request)
    connection = request.path_params["connection"]
    action = request.path_params["action"]
    if action not in ("issue", "rotate", "revoke"):
        return await _page(
            request, error=f"action: {action!r} is not one of issue, rotate, revoke", status_code=404
        )
    try:
        if action == "revoke":
            await blocking(tokens.revoke_scim_token, state.ctx, connection)
            return RedirectResponse(f"{request.scope.get('root_path', '')}/tokens", status_code=303)
        issued = await blocking(tokens.issue_scim_token, state.ctx, connection, rotate=action == "rotate")
    except IdsyncError as exc:
        return await _page(request, error=str(exc), status_code=409)
    return await _page(request, issued=issued)


routes: list[BaseRoute] = [
    Route("/tokens", tokens_page, methods=["GET"], name="tokens"),
    Route("/tokens/api", create_api_token, methods=["POST"], name="create_api_token"),
    Route("/tokens/api/{name}/revoke", revoke_api_token, methods=["POST"], name="revoke_api_token"),
    Route("/tokens/scim/{connection}/{action:str}", scim_token, methods=["POST"], name="scim_token"),
]
