"""The one place the REST API turns errors into HTTP answers. Every error is JSON:

    {"error": {"status": 422, "message": "status: ... valid: running, succeeded, ...",
               "field": "status", "valid": ["running", ...]}}

    UnknownName (a profile, connection, ...)   404 when the name came from the URL path, else 422
    RequestValidationError (FastAPI)           422, one message per field naming the valid values
    NotFound, NotFoundError (source 404)       404
    Conflict, PlanStale, RunInProgress         409
    ConfigError                                422
    other ConnectorError                       502 (a remote system failed)
    HTTPException (unknown route, method)      its status

A guard refusal is not an exception: the routes answer 422 with `refusal()`.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from idsync.domain.errors import ConfigError, ConnectorError, NotFoundError, PlanStale, RunInProgress
from idsync.service.errors import Conflict, NotFound, UnknownName
from idsync.service.results import OVERRIDE, RunResult


def error_response(
    status: int, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """The JSON error answer."""
    body: dict[str, Any] = {"status": status, "message": message, "field": field, **(extra or {})}
    return JSONResponse({"error": body}, status_code=status)


def refusal(result: RunResult) -> JSONResponse:
    """422 for a plan the guards refused: the limits broken, the override that lifts them, the run."""
    guard = result.report.guard
    limits = sorted({v.limit for v in guard.blocking}) if guard is not None else []
    overridable = guard is not None and all(v.overridable for v in guard.blocking)
    message = guard.message if guard is not None else (result.report.error or "refused by a guard")
    if overridable:
        message += f'\nTo apply it anyway, review the plan and send {{"{OVERRIDE}": true}}.'
    else:
        message += "\nThese limits have no override: change the plan's cause or the profile's safety rules."
    extra = {"limits": limits, "override": OVERRIDE if overridable else None, "run": result.to_dict()}
    return error_response(422, message, field=OVERRIDE if overridable else None, extra=extra)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in ("body", "query", "path") else parts)


def _validation_message(error: dict[str, Any]) -> str:
    where = _location(tuple(error.get("loc", ())))
    message = str(error.get("msg", "is not valid"))
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return f"{where}: {message}{shown}"


def install(app: FastAPI) -> None:
    """Register the handlers on the API app."""

    @app.exception_handler(UnknownName)
    async def unknown_name(request: Request, exc: UnknownName) -> JSONResponse:
        in_path = exc.value is not None and exc.value in request.path_params.values()
        return error_response(
            404 if in_path else 422, str(exc), field=exc.field, extra={"valid": list(exc.valid)}
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        fields = [_location(tuple(e.get("loc", ()))) for e in errors]
        extra: dict[str, Any] = {"fields": fields}
        expected = [str(e.get("ctx", {}).get("expected") or "") for e in errors]
        if any(expected):
            extra["valid"] = [value for text in expected for value in re.findall(r"'([^']*)'", text)]
        message = "; ".join(_validation_message(e) for e in errors)
        return error_response(422, message, field=fields[0] if fields else None, extra=extra)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, str(exc), field=exc.field)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        return error_response(409, str(exc), field=exc.field)

    @app.exception_handler(PlanStale)
    async def stale(request: Request, exc: PlanStale) -> JSONResponse:
        return error_response(409, str(exc), field="plan_id")

    @app.exception_handler(RunInProgress)
    async def busy(request: Request, exc: RunInProgress) -> JSONResponse:
        return error_response(409, str(exc), field="profile")

    @app.exception_handler(ConfigError)
    async def config(request: Request, exc: ConfigError) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(ConnectorError)
    async def remote(request: Request, exc: ConnectorError) -> JSONResponse:
        if isinstance(exc, NotFoundError):
            return error_response(404, f"{type(exc).__name__}: {exc}", field="login")
        return error_response(502, f"{type(exc).__name__}: {exc}")

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        response = error_response(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
