"""Connections ("Configured IdPs" and targets): each with its settings, secrets shown only as set or
not set, and a "Test connection" button that runs the same check as `idsync check`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idsync.config.connections import SOURCE_TYPES
from idsync.server.ui.render import render
from idsync.server.ui.state import ui_state
from idsync.server.ui.views import settings_rows
from idsync.service.checks import check_connection


async def connections_page(request: Request) -> Response:
    """Every connection: sources first, then targets, then SCIM inboxes."""
    state = ui_state(request)
    config = state.ctx.config
    rows = []
    for name, conn in sorted(config.connections.items()):
        role = (
            "inbound" if conn.type == "scim_inbound" else "source" if conn.type in SOURCE_TYPES else "target"
        )
        used = sorted(p for p, prof in config.profiles.items() if name == prof.source or name in prof.targets)
        settings = [row for row in settings_rows(conn) if row[0] != "type"]
        rows.append({"name": name, "type": conn.type, "role": role, "used_by": used, "settings": settings,
                     "health": state.health.get(name)})  # fmt: skip
    order = {"source": 0, "target": 1, "inbound": 2}
    rows.sort(key=lambda r: (order[str(r["role"])], str(r["name"])))
    return render(request, "connections.html", {"connections": rows})


async def test_connection(request: Request) -> Response:
    """POST: test one connection now (htmx swaps in the result); the overview's dot follows."""
    state = ui_state(request)
    name = request.path_params["name"]
    result = await state.ctx.call(lambda: check_connection(state.ctx, name))
    entry = state.health.record(result)
    return render(request, "_check.html", {"entry": entry, "name": name})


routes: list[BaseRoute] = [
    Route("/connections", connections_page, methods=["GET"], name="connections"),
    Route("/connections/{name}/test", test_connection, methods=["POST"], name="test_connection"),
]
