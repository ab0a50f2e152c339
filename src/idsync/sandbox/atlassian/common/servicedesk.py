"""What the Jira Service Management emulators (Data Center's `/rest/servicedeskapi` and the Jira
Cloud site's) share: the page envelope, the error body and the request-body checks.

The page has no total: `{"_expands": [], "size", "start", "limit", "isLastPage", "_links": {"base",
"context", "next"?, "prev"?}, "values"}`; the server caps `limit` silently, so clients must loop on
`isLastPage`. The error body is `{"errorMessage", "i18nErrorMessage": {"i18nKey", "parameters"}}`,
the shape Cloud documents; Data Center documents none, and its emulator uses the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.atlassian.common.web import base_url, json_object

API = "/rest/servicedeskapi"
JSON = "application/json;charset=UTF-8"
T = TypeVar("T")


class ServiceDeskError(Exception):
    """An error response in servicedeskapi's shape."""

    def __init__(self, status: int, message: str, key: str, *parameters: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.key = key
        self.parameters = list(parameters)
        self.headers = headers or {}


def error_body(message: str, key: str, parameters: Sequence[str] = ()) -> bytes:
    """`{"errorMessage", "i18nErrorMessage": {"i18nKey", "parameters"}}`."""
    return orjson.dumps({"errorMessage": message,
                         "i18nErrorMessage": {"i18nKey": key, "parameters": list(parameters)}})


async def render_error(request: Request, exc: Exception) -> Response:
    """The exception handler for `ServiceDeskError`."""
    assert isinstance(exc, ServiceDeskError)
    return Response(error_body(exc.message, exc.key, exc.parameters), status_code=exc.status,
                    media_type=JSON, headers=exc.headers)


def json(data: Any, status: int = 200) -> Response:
    """A JSON response."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


def _int(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceDeskError(400, f"The value '{raw}' of parameter '{name}' is not a number.",
                               "sd.validation.parameter.invalid", name) from None
    if value < minimum:
        raise ServiceDeskError(400, f"The value '{raw}' of parameter '{name}' must be at least {minimum}.",
                               "sd.validation.parameter.invalid", name)
    return value


def page(
    request: Request, items: Sequence[T], render: Callable[[T], dict[str, Any]], *, cap: int,
    default: int = 50,
) -> Response:
    """One page of `items` for `?start=&limit=` (limit silently capped at `cap`)."""
    start = _int(request, "start", 0, 0)
    limit = min(_int(request, "limit", default, 1), cap)
    chunk = items[start:start + limit]
    last = start + len(chunk) >= len(items)
    base = base_url(request) + API
    here = base_url(request) + request.url.path
    extra = {k: v for k, v in request.query_params.items() if k not in ("start", "limit")}
    links: dict[str, str] = {"base": base, "context": ""}
    if not last:
        links["next"] = f"{here}?{urlencode({**extra, 'start': start + len(chunk), 'limit': limit})}"
    if start > 0:
        links["prev"] = f"{here}?{urlencode({**extra, 'start': max(0, start - limit), 'limit': limit})}"
    return json({"_expands": [], "size": len(chunk), "start": start, "limit": limit, "isLastPage": last,
                 "_links": links, "values": [render(item) for item in chunk]})


async def body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 in servicedeskapi's shape."""
    return json_object(
        await request.body(),
        lambda reason: ServiceDeskError(400, f"The request body is not valid JSON: {reason}",
                                        "sd.request.body.invalid"),
        lambda: ServiceDeskError(400, "The request body must be a JSON object.", "sd.request.body.invalid"),
    )


def string_list(data: dict[str, Any], key: str) -> list[str]:
    """`data[key]` as a list of strings (missing: empty), or a 400 naming the key."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ServiceDeskError(400, f"'{key}' must be a list of strings.", "sd.request.body.invalid", key)
    return value
