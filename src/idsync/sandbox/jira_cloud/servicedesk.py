"""`/rest/servicedeskapi` as a Jira Cloud site serves it: accountIds, portal-only `qm:` accounts,
201 on create, `strictConflictStatusCode`, experimental operations that need `X-ExperimentalApi`
(412 without), and the 5-requests-a-second burst bucket of a desk's customer list (429 with
`RateLimit-Reason: jira-burst-based` and `Retry-After`).

Choices where Cloud's documentation is silent: the deprecated `usernames` key is ignored (a body
with no valid `accountIds` is a 400); any non-empty `X-ExperimentalApi` value opts in; the 412's
message and the i18n keys are made up.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.common.servicedesk import API, ServiceDeskError, body, json, page, string_list
from idsync.sandbox.atlassian.common.web import base_url, query_bool
from idsync.sandbox.jira_cloud.auth import Runtime
from idsync.sandbox.jira_cloud.state import Account, CloudState, Desk

PAGE_CAP = 50


def runtime_of(request: Request) -> Runtime:
    """The emulator's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def caller(request: Request, *, admin: bool = False) -> Account:
    """The authenticated account, or 401; with `admin`, 403 unless a site admin."""
    state = runtime_of(request).state
    account_id = request.scope.get("cloud.account")
    if account_id is None or account_id not in state.accounts:
        raise ServiceDeskError(401, "You are not authenticated.", "sd.security.unauthenticated")
    account = state.accounts[account_id]
    if admin and not account.site_admin:
        raise ServiceDeskError(403, "You do not have permission to perform this operation.",
                               "sd.security.no.permission")
    return account


def experimental(request: Request) -> None:
    """412 unless the request opts in to experimental operations."""
    if not request.headers.get("x-experimentalapi"):
        raise ServiceDeskError(412, "This is an experimental API: send the header X-ExperimentalApi: opt-in.",
                               "sd.api.experimental.optin.required")


class BurstBucket:
    """Cloud's burst limit on one operation: `rate` tokens a second, at most `rate` held."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.stamp: float | None = None
        self.rejected = 0

    def admit(self, now: float) -> float | None:
        """None when admitted, else the seconds until a token is there."""
        if self.stamp is not None:
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        self.rejected += 1
        return (1 - self.tokens) / self.rate


def customer_dto(base: str, account: Account) -> dict[str, Any]:
    """Cloud's UserDTO: accountId (`name` and `key` deprecated, equal to it)."""
    self_url = f"{base}/rest/api/3/user?accountId={account.account_id}"
    return {
        "accountId": account.account_id, "name": account.account_id, "key": account.account_id,
        "emailAddress": account.email, "displayName": account.display_name, "active": account.active,
        "timeZone": "UTC", "_links": {"jiraRest": self_url, "avatarUrls": {}, "self": self_url},
    }


def desk_dto(base: str, desk: Desk) -> dict[str, Any]:
    """A service desk (ids are strings)."""
    return {"id": str(desk.id), "projectId": str(desk.project_id), "projectName": desk.project_name,
            "projectKey": desk.project_key, "_links": {"self": f"{base}{API}/servicedesk/{desk.id}"}}


def find_desk(state: CloudState, raw: str) -> Desk:
    """`{serviceDeskId}` as Cloud reads it: 15, ABC, projectKey:ABC, projectId:10012, serviceDeskId:15."""
    kind, _, value = raw.partition(":") if ":" in raw else ("", "", raw)
    for desk in state.desks.values():
        if (kind in ("", "serviceDeskId") and value == str(desk.id)) or \
                (kind in ("", "projectKey") and value == desk.project_key) or \
                (kind == "projectId" and value == str(desk.project_id)):
            return desk
    raise ServiceDeskError(404, f"The service project {raw} does not exist.", "sd.service.desk.not.found",
                           raw)


async def list_desks(request: Request) -> Response:
    """GET /servicedesk?start=&limit=."""
    caller(request)
    base = base_url(request)
    desks = sorted(runtime_of(request).state.desks.values(), key=lambda d: d.id)
    return page(request, desks, lambda d: desk_dto(base, d), cap=PAGE_CAP)


async def get_desk(request: Request) -> Response:
    """GET /servicedesk/{id}."""
    caller(request)
    desk = find_desk(runtime_of(request).state, request.path_params["desk"])
    return json(desk_dto(base_url(request), desk))


async def create_customer(request: Request) -> Response:
    """POST /customer[?strictConflictStatusCode=true] {"email", "displayName"} → 201 UserDTO."""
    caller(request, admin=True)
    state = runtime_of(request).state
    data = await body(request)
    email = data.get("email")
    name = data.get("displayName") or data.get("fullName")  # fullName: the deprecated alias
    if not isinstance(email, str) or "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise ServiceDeskError(400, "The email address is malformed.", "sd.customer.email.invalid",
                               str(email))
    if not isinstance(name, str) or not name.strip():
        raise ServiceDeskError(400, "A display name is required.", "sd.customer.displayname.required")
    if state.by_email(email) is not None:
        status = 409 if query_bool(request, "strictConflictStatusCode", False) else 400
        raise ServiceDeskError(status, f"An account already exists for this email: {email}",
                               "sd.customer.email.already.exists", email)
    account = state.add_account(email, name, licensed=False)
    return json(customer_dto(base_url(request), account), status=201)


async def desk_customers(request: Request) -> Response:
    """GET /servicedesk/{id}/customer?query=&start=&limit= (experimental, burst-limited)."""
    caller(request)
    experimental(request)
    runtime = runtime_of(request)
    bucket: BurstBucket | None = request.app.state.customer_bucket
    if bucket is not None:
        wait = bucket.admit(runtime.clock.now().timestamp())
        if wait is not None:
            raise ServiceDeskError(429, "Rate limit exceeded.", "sd.rate.limit.exceeded", headers={
                "RateLimit-Reason": "jira-burst-based", "Retry-After": str(max(1, math.ceil(wait)))})
    desk = find_desk(runtime.state, request.path_params["desk"])
    query = request.query_params.get("query", "").lower()
    customers = sorted((runtime.state.accounts[a] for a in desk.customers), key=lambda a: a.account_id)
    if query:
        customers = [a for a in customers if query in a.display_name.lower() or query in a.email.lower()]
    base = base_url(request)
    return page(request, customers, lambda a: customer_dto(base, a), cap=PAGE_CAP)


async def _accounts(request: Request) -> tuple[list[str], list[str]]:
    state = runtime_of(request).state
    ids = string_list(await body(request), "accountIds")  # `usernames` (deprecated) is ignored
    return [i for i in ids if i in state.accounts], [i for i in ids if i not in state.accounts]


async def add_customers(request: Request) -> Response:
    """POST /servicedesk/{id}/customer {"accountIds"} → 204 (also for customers already there); 400
    when some do not exist, the others being added all the same."""
    caller(request, admin=True)
    desk = find_desk(runtime_of(request).state, request.path_params["desk"])
    valid, unknown = await _accounts(request)
    desk.customers.update(valid)
    if unknown or not valid:
        raise ServiceDeskError(400, "Any of the customers do not exist.", "sd.customers.not.found", *unknown)
    return Response(status_code=204)


async def remove_customers(request: Request) -> Response:
    """DELETE /servicedesk/{id}/customer {"accountIds"} (experimental) → 204, also for non-members;
    400 on a desk with public signup or open access."""
    caller(request, admin=True)
    experimental(request)
    desk = find_desk(runtime_of(request).state, request.path_params["desk"])
    if desk.open_access:
        raise ServiceDeskError(400, "Customers cannot be removed from a service project with open access or "
                               "public signup.", "sd.customers.remove.open.access")
    valid, unknown = await _accounts(request)
    if not valid and not unknown:
        raise ServiceDeskError(400, "No accountIds given.", "sd.customers.not.found")
    desk.customers.difference_update(valid)
    return Response(status_code=204)


def routes() -> list[Route]:
    """The servicedeskapi routes of the site."""
    return [
        Route(f"{API}/servicedesk", list_desks, methods=["GET"]),
        Route(f"{API}/servicedesk/{{desk}}", get_desk, methods=["GET"]),
        Route(f"{API}/customer", create_customer, methods=["POST"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", desk_customers, methods=["GET"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", add_customers, methods=["POST"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", remove_customers, methods=["DELETE"]),
    ]
