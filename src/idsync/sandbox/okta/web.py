"""Small HTTP helpers every Okta route uses: JSON responses with Okta's content type, request
bodies, `limit` parsing, cursor paging with `Link` headers, and the caller's token."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from idsync.sandbox.okta.errors import JSON_TYPE, OktaError, malformed_body, validation
from idsync.sandbox.okta.model import Token

T = TypeVar("T")


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response as Okta sends it (`application/json;charset=UTF-8`)."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON_TYPE)


def empty(status: int = 204) -> Response:
    """204 No Content."""
    return Response(status_code=status)


def base(request: Request) -> str:
    """Scheme and host the caller used, for `_links` and `Link` headers (read straight from the
    ASGI scope: building `request.url` costs more than the rest of a simple GET)."""
    scope = request.scope
    domain = scope["app"].state.okta_options.domain
    if domain:
        return str(domain)
    for name, value in scope["headers"]:
        if name == b"host":
            return f"{scope['scheme']}://{value.decode('latin-1')}"
    host, port = scope["server"] or ("127.0.0.1", 80)
    return f"{scope['scheme']}://{host}:{port}"


def token(request: Request) -> Token:
    """The caller's token, put in the scope by the edge middleware."""
    found: Token = request.scope["okta.token"]
    return found


async def body_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400 E0000003."""
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise malformed_body() from None
    if not isinstance(data, dict):
        raise malformed_body()
    return data


def flag(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter ("true"/"false"), with a clear 400 otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise validation(name, f"{raw!r} is not valid: use true or false")


def limit(request: Request, default: int, maximum: int, minimum: int = 1) -> int:
    """`limit`: default when absent, clamped to `maximum` (Okta caps rather than fails), 400 when
    not a number or below `minimum`."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation("limit", f"{raw!r} is not a number; use {minimum}–{maximum}") from None
    if value < minimum:
        raise validation("limit", f"{value} is too small; use {minimum}–{maximum}")
    return min(value, maximum)


def page_after(
    ids: Sequence[str], after: str | None, position: Callable[[Sequence[str], str], int]
) -> Iterable[str]:
    """The ids that follow the cursor `after` in `ids` (sorted or not, via `position`)."""
    start = position(ids, after) if after else 0
    return (ids[i] for i in range(start, len(ids)))


def take(candidates: Iterable[T], count: int) -> tuple[list[T], bool]:
    """Up to `count` items and whether more follow (one look-ahead, so a full last page has no next)."""
    result: list[T] = []
    for item in candidates:
        if len(result) == count:
            return result, True
        result.append(item)
    return result, False


def paged_response(
    request: Request, data: list[Any], next_cursor: str | None, limit_value: int, always_next: bool = False
) -> Response:
    """JSON array + `Link: <…>; rel="self"` and, when there is more, `rel="next"` (separate headers).
    The self link echoes the request's parameters with the effective `limit`, as Okta does."""
    response = json_response(data)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "limit"]
    params.append(("limit", str(limit_value)))
    root = f"{base(request)}{request.url.path}"
    response.raw_headers.append((b"link", f'<{root}?{urlencode(params)}>; rel="self"'.encode()))
    if next_cursor is not None or always_next:
        nexts = [(k, v) for k, v in params if k != "after"]
        if next_cursor is not None:
            nexts.insert(0, ("after", next_cursor))
        response.raw_headers.append((b"link", f'<{root}?{urlencode(nexts)}>; rel="next"'.encode()))
    return response


def require_admin(request: Request) -> None:
    """Endpoints only a super admin may call: 403 E0000006 for group-scoped tokens (#7)."""
    if token(request).group_ids is not None:
        raise OktaError(403, "E0000006", "You do not have permission to perform the requested action")
