"""Test sync: look a person up in a source and see what each profile reading from it would write for
them (`idsync user lookup`), then sync that person now (`idsync user sync`) if it looks right."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from idsync.config.connections import SOURCE_TYPES
from idsync.domain.errors import IdsyncError
from idsync.engine.lookup import printable
from idsync.server.ui.auth import current_admin
from idsync.server.ui.jobs import Recorder
from idsync.server.ui.render import render
from idsync.server.ui.state import ui_state
from idsync.service import users
from idsync.service.errors import UnknownName
from idsync.service.results import UserSyncResult
from idsync.service.runs import Trigger


async def test_sync_page(request: Request) -> Response:
    """The look-up form, and the person with each profile's mapping once one was asked for."""
    state = ui_state(request)
    config = state.ctx.config
    sources = sorted(n for n, c in config.connections.items() if c.type in SOURCE_TYPES)
    connection = request.query_params.get("connection") or (sources[0] if sources else "")
    login = (request.query_params.get("login") or "").strip()
    preview = None
    error = None
    if login:
        try:
            preview = await users.lookup_in_source(state.ctx, connection, login)
        except IdsyncError as exc:
            error = str(exc) if isinstance(exc, UnknownName) else f"{type(exc).__name__}: {exc}"
    attributes = sorted((k, printable(v)) for k, v in preview.user.attributes.items()) if preview else []
    context = {"sources": sources, "connection": connection, "login": login, "preview": preview,
               "attributes": attributes, "error": error}  # fmt: skip
    return render(request, "test_sync.html", context, status_code=200 if error is None else 422)


async def sync_person(request: Request) -> Response:
    """POST: sync one person in one profile now, in the background; the job page shows what changed."""
    state = ui_state(request)
    form = await request.form()
    profile = str(form.get("profile", ""))
    login = str(form.get("login", ""))

    async def work(progress: Recorder) -> UserSyncResult:
        return await users.user_sync(state.ctx, profile, login, trigger=Trigger.UI, progress=progress)

    job = state.jobs.start("user_sync", f"Sync {login} in profile {profile}", current_admin(request), work)
    job.profile = profile
    return RedirectResponse(f"{request.scope.get('root_path', '')}/jobs/{job.id}", status_code=303)


routes: list[BaseRoute] = [
    Route("/test-sync", test_sync_page, methods=["GET"], name="test_sync"),
    Route("/test-sync/sync", sync_person, methods=["POST"], name="sync_person"),
]
