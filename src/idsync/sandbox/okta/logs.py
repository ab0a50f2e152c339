"""GET /api/v1/logs: since/until/after/filter/q/sortOrder/limit.
A polling request (no `until`, ascending) always carries a `next` link, possibly to an empty page;
a bounded request (since and until) ends. The cursor is the event's sequence number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.dialects import LOG_FILTER, log_value
from idsync.sandbox.okta.errors import OktaError
from idsync.sandbox.okta.model import iso
from idsync.sandbox.okta.query import QueryError, compile_query
from idsync.sandbox.okta.users import state_of


def _invalid(message: str) -> OktaError:
    return OktaError(400, "E0000053", f"Invalid parameter: {message}", [message])


def _moment(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"The {name} parameter {raw!r} is not an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def list_logs(request: Request) -> Response:
    """GET /api/v1/logs."""
    web.require_admin(request)
    state = state_of(request)
    params = request.query_params
    now = state.clock.now()
    until_raw, since_raw, after = params.get("until"), params.get("since"), params.get("after")
    until = _moment("until", until_raw) if until_raw else now
    since = _moment("since", since_raw) if since_raw else until - timedelta(days=7)
    if since < now - timedelta(days=180):
        raise _invalid("The since parameter is over 180 days prior to the current day.")
    order = params.get("sortOrder", "ASCENDING")
    if order not in ("ASCENDING", "DESCENDING"):
        raise _invalid(f"sortOrder {order!r} is not valid: use ASCENDING or DESCENDING")
    count = web.limit(request, 100, 1000, minimum=0)
    match = None
    if params.get("filter"):
        try:
            match = compile_query(params["filter"], LOG_FILTER, log_value)
        except QueryError as exc:
            raise _invalid(f"filter: {exc}") from None
    keywords = _keywords(params.get("q"))
    low, high = iso(since), iso(until)
    events = state.log.events
    start = 0
    if after:
        try:
            start = int(after)
        except ValueError:
            raise _invalid(f"after {after!r} is not a cursor from a next link") from None
    indexes = range(start, len(events)) if order == "ASCENDING" else range(len(events) - 1, -1, -1)
    page: list[dict[str, Any]] = []
    last = start
    for index in indexes:
        if len(page) >= count:
            break
        event = events[index]
        last = index + 1
        if after is None and not low <= event["published"] <= high:
            continue
        if until_raw and event["published"] > high:
            continue
        if match is not None and not match(event):
            continue
        if keywords and not _has_keywords(event, keywords):
            continue
        page.append(event)
    polling = until_raw is None and order == "ASCENDING"
    more = len(page) >= count and last < len(events)
    next_cursor = str(last) if polling or more else None
    return web.paged_response(request, page, next_cursor, count)


def _keywords(q: str | None) -> list[str]:
    if not q:
        return []
    words = q.split()
    for word in words:
        if len(word) > 40:
            raise OktaError(
                400,
                "E0000001",
                "Api validation failed: 'q': Freeform search cannot contain items "
                "longer than 40 characters. Please shorten the following item: " + word,
                ["q: items must be at most 40 characters"],
            )
    if len(words) > 10:
        raise OktaError(
            400,
            "E0000001",
            "Api validation failed: 'q': Freeform search cannot contain more than 10 items.",
            ["q: at most 10 keywords"],
        )
    return [w.casefold() for w in words]


def _has_keywords(event: dict[str, Any], keywords: list[str]) -> bool:
    words: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            words.add(value.casefold())
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(event)
    return all(k in words for k in keywords)


def routes() -> list[Route]:
    """The System Log route."""
    return [Route("/api/v1/logs", list_logs, methods=["GET"])]
