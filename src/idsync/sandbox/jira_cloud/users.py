"""The Jira Cloud platform user endpoints a customer sync needs: `/rest/api/3/myself`,
`/user?accountId=` and `/user/search?query=` (matched by prefix against display name and e-mail,
Cloud's documented behaviour; portal-only customer accounts are included). Errors use Jira's
`{"errorMessages", "errors"}` shape."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.common.web import base_url
from idsync.sandbox.jira_cloud.servicedesk import runtime_of
from idsync.sandbox.jira_cloud.state import Account

API = "/rest/api/3"
SEARCH_MAX = 1000
_JSON = "application/json;charset=UTF-8"


def _error(status: int, message: str) -> Response:
    body = orjson.dumps({"errorMessages": [message], "errors": {}})
    return Response(body, status_code=status, media_type=_JSON)


def user_bean(base: str, account: Account) -> dict[str, Any]:
    """A Cloud platform user."""
    return {
        "self": f"{base}{API}/user?accountId={account.account_id}", "accountId": account.account_id,
        "accountType": account.account_type, "emailAddress": account.email,
        "displayName": account.display_name, "active": account.active, "timeZone": "UTC", "locale": "en_US",
        "avatarUrls": {},
    }


def _caller(request: Request) -> Account | Response:
    state = runtime_of(request).state
    account_id = request.scope.get("cloud.account")
    if account_id is None or account_id not in state.accounts:
        return _error(401, "You are not authenticated. Authentication required to perform this operation.")
    return state.accounts[account_id]


async def myself(request: Request) -> Response:
    """GET /myself."""
    me = _caller(request)
    if isinstance(me, Response):
        return me
    return Response(orjson.dumps(user_bean(base_url(request), me)), media_type=_JSON)


async def get_user(request: Request) -> Response:
    """GET /user?accountId=."""
    me = _caller(request)
    if isinstance(me, Response):
        return me
    account_id = request.query_params.get("accountId")
    if not account_id:
        return _error(400, "The accountId query parameter needs to be provided.")
    found = runtime_of(request).state.accounts.get(account_id)
    if found is None:
        return _error(404, "Specified user does not exist or you do not have required permissions")
    return Response(orjson.dumps(user_bean(base_url(request), found)), media_type=_JSON)


def _matches(account: Account, query: str) -> bool:
    words = account.display_name.lower().split()
    return account.email.lower().startswith(query) or account.display_name.lower().startswith(query) or \
        any(word.startswith(query) for word in words)


async def search(request: Request) -> Response:
    """GET /user/search?query=&startAt=&maxResults= → a JSON array."""
    me = _caller(request)
    if isinstance(me, Response):
        return me
    params = request.query_params
    query = (params.get("query") or "").lower()
    if not query and not params.get("accountId"):
        return _error(400, "The query parameter 'query' or 'accountId' is required.")
    try:
        start, limit = int(params.get("startAt", 0)), min(int(params.get("maxResults", 50)), SEARCH_MAX)
    except ValueError:
        return _error(400, "startAt and maxResults must be numbers.")
    accounts = sorted(runtime_of(request).state.accounts.values(), key=lambda a: a.account_id)
    wanted = params.get("accountId")
    found = [a for a in accounts if a.account_id == wanted or (query and _matches(a, query))]
    base = base_url(request)
    return Response(orjson.dumps([user_bean(base, a) for a in found[start:start + limit]]), media_type=_JSON)


def routes() -> list[Route]:
    """The platform routes of the site."""
    return [
        Route(f"{API}/myself", myself, methods=["GET"]),
        Route(f"{API}/user", get_user, methods=["GET"]),
        Route(f"{API}/user/search", search, methods=["GET"]),
    ]
