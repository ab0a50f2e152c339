"""Jira Service Management on the Data Center emulator: `/rest/servicedeskapi` — info, service
desks, creating customers and a desk's customers.

Where the DC documentation is silent the emulator chooses as follows (and the client must cope with
the other possibilities):
- Creating a customer answers 201 with the UserDTO; the new user's username is the e-mail, it has no
  password and no application access. A taken e-mail (or username) is a 400 in the servicedeskapi
  error shape, whatever `strictConflictStatusCode` says: that parameter is Cloud's.
- Adding customers answers 204 (the DC docs say "200 UserDTO", Cloud says 204; clients accept both).
  Each `usernames` entry is resolved as a username, then as an e-mail address, as the Java API
  does; entries that resolve to nobody make a 400 while the others are still added (Cloud's rule).
  `accountIds` is a Cloud key and is ignored.
- GET and DELETE on a desk's customers are not in the DC 10.x/11.x spec: they are served unless
  `desk_customer_listing` is off, and then answer 405 as for a method a path lacks.
- `X-ExperimentalApi` is not required on DC (its docs spell the value `true`, clients send `opt-in`).
- Every error uses the Cloud shape `{"errorMessage", "i18nErrorMessage"}`; the i18n keys are
  made up (none is documented).
- With `jsm_licensed` off every call but `/info` answers 403 with an HTML page, as observed on a
  server without a JSM licence.
- `{serviceDeskId}` must be the numeric id: the project-key aliases Cloud accepts are unverified on DC.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.common.servicedesk import (
    API,
    ServiceDeskError,
    body,
    json,
    page,
    string_list,
)
from idsync.sandbox.atlassian.jira.beans import avatar_urls, user_self
from idsync.sandbox.atlassian.jira.server import VERSIONS
from idsync.sandbox.atlassian.jira.state import JiraState, JiraUser, ServiceDesk
from idsync.sandbox.atlassian.jira.web import base_url, caller_key, runtime_of, state_of

DESK_PAGE_CAP = 100
CUSTOMER_PAGE_CAP = 50
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_UNLICENSED_HTML = (
    b"<html><head><title>Forbidden (403)</title></head><body><h1>Forbidden (403)</h1>"
    b"<p>Jira Service Management is not licensed on this instance.</p></body></html>"
)


class Unlicensed(Exception):
    """Raised for any servicedeskapi call but /info when JSM is not licensed."""


async def render_unlicensed(request: Request, exc: Exception) -> Response:
    """403 with an HTML page (not JSON): what a server without a JSM licence answers."""
    return Response(_UNLICENSED_HTML, status_code=403, media_type="text/html;charset=UTF-8")


def _caller(request: Request, *, admin: bool = False) -> JiraUser:
    if not runtime_of(request).options.jsm_licensed:
        raise Unlicensed()
    state = state_of(request)
    key = caller_key(request)
    if key is None or key not in state.users:
        raise ServiceDeskError(401, "You are not authenticated. Authentication required to perform this "
                               "operation.", "sd.security.unauthenticated")
    user = state.users[key]
    if admin and "jira-administrators" not in user.groups:
        raise ServiceDeskError(403, "You do not have permission to perform this operation.",
                               "sd.security.no.permission")
    return user


def customer_dto(base: str, user: JiraUser) -> dict[str, Any]:
    """The DC UserDTO: name and key, no accountId."""
    return {
        "name": user.name, "key": user.key, "emailAddress": user.email, "displayName": user.display_name,
        "active": user.active, "timeZone": user.time_zone,
        "_links": {"jiraRest": user_self(base, user), "avatarUrls": avatar_urls(base, user),
                   "self": user_self(base, user)},
    }


def desk_dto(base: str, state: JiraState, desk: ServiceDesk) -> dict[str, Any]:
    """A service desk (ids are strings)."""
    project = state.projects[desk.project_key]
    return {"id": str(desk.id), "projectId": str(project.id), "projectName": project.name,
            "projectKey": project.key, "_links": {"self": f"{base}{API}/servicedesk/{desk.id}"}}


def _desk(request: Request) -> ServiceDesk:
    raw = request.path_params["desk"]
    desk = state_of(request).service_desks.get(int(raw)) if raw.isdigit() else None
    if desk is None:
        raise ServiceDeskError(404, f"The service project with ID {raw} does not exist.",
                               "sd.service.desk.not.found", raw)
    return desk


async def info(request: Request) -> Response:
    """GET /info (no login needed): versions and whether JSM is licensed."""
    major = runtime_of(request).options.version
    version = ".".join(map(str, VERSIONS[major]))
    return json({
        "version": version, "platformVersion": version,
        "buildDate": {"iso8601": "2025-01-15T00:00:00+0000", "jira": "2025-01-15T00:00:00.000+0000",
                      "friendly": "15/Jan/25 12:00 AM", "epochMillis": 1736899200000},
        "buildChangeSet": "0000000000000000000000000000000000000000",
        "isLicensedForUse": runtime_of(request).options.jsm_licensed,
        "_links": {"self": f"{base_url(request)}{API}/info"},
    })


async def list_desks(request: Request) -> Response:
    """GET /servicedesk?start=&limit=: every desk (the emulator's callers may access all)."""
    _caller(request)
    state = state_of(request)
    base = base_url(request)
    desks = sorted(state.service_desks.values(), key=lambda d: d.id)
    return page(request, desks, lambda d: desk_dto(base, state, d), cap=DESK_PAGE_CAP)


async def get_desk(request: Request) -> Response:
    """GET /servicedesk/{id}."""
    _caller(request)
    return json(desk_dto(base_url(request), state_of(request), _desk(request)))


async def create_customer(request: Request) -> Response:
    """POST /customer {"email", "fullName"} → 201 UserDTO; Jira Administrators only."""
    _caller(request, admin=True)
    state = state_of(request)
    data = await body(request)
    email, full_name = data.get("email"), data.get("fullName")
    if not isinstance(email, str) or len(email) > 255 or not _EMAIL.match(email):
        raise ServiceDeskError(400, "You must provide a valid email address.", "sd.customer.email.invalid")
    if not isinstance(full_name, str) or not full_name.strip() or len(full_name) > 255:
        raise ServiceDeskError(400, "You must provide a full name.", "sd.customer.fullname.required")
    taken = state.user_by_name(email) is not None or any(
        u.email.lower() == email.lower() for u in state.users.values()
    )
    if taken:
        raise ServiceDeskError(400, f"A user with the email address {email} already exists.",
                               "sd.customer.email.already.exists", email)
    user = state.add_user(email, full_name, email, runtime_of(request).clock.now())
    return json(customer_dto(base_url(request), user), status=201)


def _resolve(state: JiraState, entry: str) -> JiraUser | None:
    """A `usernames` entry as the Java API reads it: a username, else an e-mail address."""
    user = state.user_by_name(entry)
    if user is not None:
        return user
    lowered = entry.lower()
    return next((u for u in state.users.values() if u.email.lower() == lowered), None)


def _listing(request: Request) -> None:
    if not runtime_of(request).options.desk_customer_listing:
        raise HTTPException(405)


async def desk_customers(request: Request) -> Response:
    """GET /servicedesk/{id}/customer?query=&start=&limit= (not in the DC spec; see the module)."""
    _listing(request)
    _caller(request)
    state = state_of(request)
    desk = _desk(request)
    query = request.query_params.get("query", "").lower()
    users = sorted((state.users[k] for k in desk.customers), key=lambda u: u.name)
    if query:
        users = [u for u in users if query in u.name or query in u.email.lower()
                 or query in u.display_name.lower()]
    base = base_url(request)
    return page(request, users, lambda u: customer_dto(base, u), cap=CUSTOMER_PAGE_CAP)


async def _entries(request: Request) -> tuple[list[JiraUser], list[str]]:
    state = state_of(request)
    entries = string_list(await body(request), "usernames")
    found = [(entry, _resolve(state, entry)) for entry in entries]
    return [u for _, u in found if u is not None], [e for e, u in found if u is None]


def _unknown(missing: list[str]) -> ServiceDeskError:
    return ServiceDeskError(400, f"The following users do not exist: {', '.join(missing)}",
                            "sd.customers.not.found", *missing)


async def add_customers(request: Request) -> Response:
    """POST /servicedesk/{id}/customer {"usernames"} → 204; unknown entries 400, the others added."""
    _caller(request, admin=True)
    desk = _desk(request)
    users, missing = await _entries(request)
    desk.customers.update(u.key for u in users)
    if missing or not users:
        raise _unknown(missing or ["(none given)"])
    return Response(status_code=204)


async def remove_customers(request: Request) -> Response:
    """DELETE /servicedesk/{id}/customer {"usernames"} → 204, also for non-members."""
    _listing(request)
    _caller(request, admin=True)
    desk = _desk(request)
    users, missing = await _entries(request)
    for user in users:
        desk.customers.discard(user.key)
    if missing:
        raise _unknown(missing)
    return Response(status_code=204)


def routes() -> list[Route]:
    """The /rest/servicedeskapi routes."""
    return [
        Route(f"{API}/info", info, methods=["GET"]),
        Route(f"{API}/servicedesk", list_desks, methods=["GET"]),
        Route(f"{API}/servicedesk/{{desk}}", get_desk, methods=["GET"]),
        Route(f"{API}/customer", create_customer, methods=["POST"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", desk_customers, methods=["GET"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", add_customers, methods=["POST"]),
        Route(f"{API}/servicedesk/{{desk}}/customer", remove_customers, methods=["DELETE"]),
    ]
