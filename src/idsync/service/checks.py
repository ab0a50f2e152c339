"""`check`: the config is valid (loading it proved that) and every connection it names answers."""

from __future__ import annotations

from typing import Any

from idsync.config.connections import SOURCE_TYPES
from idsync.config.expiry import expiries
from idsync.connectors import build_source, build_target, target_notes
from idsync.domain.errors import IdsyncError
from idsync.service.context import Context
from idsync.service.errors import UnknownName
from idsync.service.results import CheckResult, ConnectionCheck
from idsync.service.schedule import next_run_notes


async def check(ctx: Context) -> CheckResult:
    """Test every connection in turn; a failing one is reported, never raised."""
    rows = [await check_connection(ctx, name) for name in ctx.config.connections]
    notices = next_run_notes(ctx.config)  # when `idsync serve` runs each scheduled profile next
    notices += target_notes(ctx.config)  # what a profile sets that a target has no place for
    notices += [e.describe() for e in expiries(ctx.config) if e.soon]  # expired ones fail their row
    return CheckResult(tuple(rows), tuple(notices), len(ctx.config.profiles))


async def check_connection(ctx: Context, name: str) -> ConnectionCheck:
    """Test one connection (the admin UI's "Test connection"); a failure is reported, never raised.
    A connection whose stated credential expiry (`expires_at`) has passed fails without a request.
    UnknownName lists the connections when there is no such one."""
    conn = ctx.config.connections.get(name)
    if conn is None:
        raise UnknownName("connection", name, ctx.config.connections, what="connection")
    if conn.type == "scim_inbound":
        detail = f"SCIM inbox at /scim/v2/{name}/ (served by idsync serve)"
        return ConnectionCheck(name, conn.type, True, detail)
    expiry = next(iter(expiries(ctx.config, [name])), None)
    if expiry is not None and expiry.expired:
        return ConnectionCheck(name, conn.type, False, expiry.describe())
    is_source = conn.type in SOURCE_TYPES
    connector: Any = build_source(ctx.config, name) if is_source else build_target(ctx.config, name)
    try:
        return ConnectionCheck(name, conn.type, True, await connector.check())
    except IdsyncError as exc:
        return ConnectionCheck(name, conn.type, False, f"{type(exc).__name__}: {exc}")
    finally:
        await connector.aclose()
