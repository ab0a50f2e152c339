"""The overview: every profile with source → targets, last and next run, a health dot per connection
(from the last "Test connection", never a call per page view) and the warnings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idsync.server.ui.render import render
from idsync.server.ui.state import blocking, ui_state
from idsync.service.overview import overview


async def overview_page(request: Request) -> Response:
    """The home page of the UI."""
    state = ui_state(request)
    found = await blocking(overview, state.ctx)
    health = {name: state.health.get(name) for name in state.ctx.config.connections}
    return render(request, "overview.html", {"overview": found, "health": health})


routes: list[BaseRoute] = [Route("/", overview_page, methods=["GET"], name="overview")]
