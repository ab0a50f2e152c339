"""Finding and listing users: GET /user/search, whose caps differ by Jira version (9: 1,000 matches
reachable; 10: 100 in total), and the Jira 10.3+/11 streaming GET /user/list."""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import API, user_bean
from idsync.sandbox.atlassian.jira.state import JiraUser
from idsync.sandbox.atlassian.jira.web import (
    JiraError,
    base_url,
    json,
    query_bool,
    query_int,
    require_user,
    runtime_of,
)

SEARCH_MAX_RESULTS = 1000
"""maxResults is capped at 1000, and so are the matches reachable by paging (JRASERVER-65089)."""
SEARCH_CAP_V10 = 100
"""Jira 10.x returns at most 100 matches in total (JRASERVER-78660 / -78520): paging past 100 is empty."""
LIST_DEFAULT = 2000


def matches(user: JiraUser, query: str) -> bool:
    """Jira's user search: username, email and display name by prefix, and each word of the display
    name by prefix; case-insensitive. `query` is lower-case."""
    if user.name.startswith(query) or user.email.lower().startswith(query):
        return True
    display = user.display_name.lower()
    return display.startswith(query) or any(word.startswith(query) for word in display.split())


async def search(request: Request) -> Response:
    """GET /user/search?username=&startAt=&maxResults=&includeActive=&includeInactive= → JSON array."""
    require_user(request)
    runtime = runtime_of(request)
    query = request.query_params.get("username")
    if query is None or query == "":
        # Required on DC; text unverified.
        raise JiraError(400, "The username query parameter was not provided")
    start_at = query_int(request, "startAt", 0)
    max_results = min(query_int(request, "maxResults", 50), SEARCH_MAX_RESULTS)
    include_active = query_bool(request, "includeActive", True)
    include_inactive = query_bool(request, "includeInactive", False)
    cap = SEARCH_CAP_V10 if runtime.options.version >= 10 else SEARCH_MAX_RESULTS
    end = min(start_at + max_results, cap)
    if end <= start_at or not (include_active or include_inactive):
        return json([])
    lowered = query.lower()
    everyone = lowered == "."  # Jira 8/9 (and in practice 10): "." matches every user
    found: list[JiraUser] = []
    seen = 0
    for user in runtime.state.search_order():
        if not (include_active if user.active else include_inactive):
            continue
        if not everyone and not matches(user, lowered):
            continue
        if seen >= start_at:
            found.append(user)
        seen += 1
        if seen >= end:
            break
    base = base_url(request)
    return json([user_bean(base, user, runtime.state) for user in found])


def _cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(f"u{after_id}".encode()).decode().rstrip("=")


def _after(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text[1:]) if text.startswith("u") else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


async def list_users(request: Request) -> Response:
    """GET /user/list?cursor=&maxResults= → StreamPage of all users (active and inactive). Only on
    version 10 here (Jira has it from 10.3 LTS and in 11); version 9 answers 404 like any unknown path."""
    runtime = runtime_of(request)
    if runtime.options.version < 10:
        raise JiraError(404, f"null for uri: {request.url}")
    require_user(request)
    state = runtime.state
    max_results = query_int(request, "maxResults", LIST_DEFAULT, minimum=1)
    cursor = request.query_params.get("cursor")
    ids = state.id_order()
    if cursor:
        after = _after(cursor)
        # Jira never answers 404, even for an invalid cursor: an unreadable cursor gives an empty last
        # page rather than starting over, so a client cannot loop forever.
        start = len(ids) if after is None else bisect_right(ids, after)
    else:
        start = 0
    page = ids[start : start + max_results]
    is_last = start + len(page) >= len(ids)
    base = base_url(request)
    params = {"maxResults": max_results} | ({"cursor": cursor} if cursor else {})
    body: dict[str, object] = {
        "self": f"{base}{API}/user/list?{urlencode(params)}",
        "maxResults": max_results,
        "isLast": is_last,
        "values": [user_bean(base, state.users[f"JIRAUSER{i}"], state) for i in page],
    }
    if not is_last:
        next_cursor = _cursor(page[-1])
        body["nextCursor"] = next_cursor
        body["nextPage"] = (
            f"{base}{API}/user/list?{urlencode({'cursor': next_cursor, 'maxResults': max_results})}"
        )
    return json(body)


def routes() -> list[Route]:
    """The search and list routes under /rest/api/2."""
    return [
        Route("/rest/api/2/user/search", search, methods=["GET"]),
        Route("/rest/api/2/user/list", list_users, methods=["GET"]),
    ]
