"""`check`: the config is valid (loading it proved that) and every connection it names answers."""

from __future__ import annotations

from typing import Any

from idsync.config.connections import SOURCE_TYPES
from idsync.connectors import build_source, build_target, target_notes
from idsync.domain.errors import IdsyncError
from idsync.service.context import Context
from idsync.service.results import CheckResult, ConnectionCheck
from idsync.service.schedule import next_run_notes


async def check(ctx: Context) -> CheckResult:
    """Test every connection in turn; a failing one is reported, never raised."""
    rows: list[ConnectionCheck] = []
    for name, conn in ctx.config.connections.items():
        if conn.type == "scim_inbound":
            detail = f"SCIM inbox at /scim/v2/{name}/ (served by idsync serve)"
            rows.append(ConnectionCheck(name, conn.type, True, detail))
            continue
        is_source = conn.type in SOURCE_TYPES
        connector: Any = build_source(ctx.config, name) if is_source else build_target(ctx.config, name)
        try:
            rows.append(ConnectionCheck(name, conn.type, True, await connector.check()))
        except IdsyncError as exc:
            rows.append(ConnectionCheck(name, conn.type, False, f"{type(exc).__name__}: {exc}"))
        finally:
            await connector.aclose()
    notices = next_run_notes(ctx.config)  # when `idsync serve` runs each scheduled profile next
    notices += target_notes(ctx.config)  # what a profile sets that a target has no place for
    return CheckResult(tuple(rows), tuple(notices), len(ctx.config.profiles))
