"""The Bitbucket wire: authentication headers, the error-body description, typed response models and
the paged read that follows `nextPageStart` to the last page.

Bitbucket error bodies look like
`{"errors": [{"context": "name", "message": "...", "exceptionName": "com.atlassian...NoSuchUserException"}]}`
(`context` names the field of a validation error); an unknown path is answered by the servlet container
in another shape (JSON or XML by version), so the body is optional. `describe_bitbucket` turns any of
them into one line for the `HttpClient` error mapping (idsync.http), which stays the only place where
statuses become errors. Credentials travel only in the Authorization header, never in a message.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

from idsync.config.connections import BitbucketConnection
from idsync.domain.errors import ConnectorError
from idsync.http import HttpClient, WireResponse
from idsync.targets.atlassian import describe_or_fallback, make_client, token_or_basic_headers

API = "/rest/api/1.0"
"""Base path of every call (`/rest/api/latest/` is the same API)."""

M = TypeVar("M", bound=BaseModel)


def error_entries(response: WireResponse) -> list[dict[str, Any]]:
    """The `errors` of a Bitbucket error body; empty when the body is not Bitbucket's envelope."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return []
    raw = body.get("errors") if isinstance(body, dict) else None
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def exception_names(response: WireResponse) -> set[str]:
    """The short exception names of an error body (NoSuchUserException, ...)."""
    return {str(e.get("exceptionName") or "").rsplit(".", 1)[-1] for e in error_entries(response)} - {""}


def describe_bitbucket(response: WireResponse) -> str:
    """One line from a Bitbucket error body: each message, prefixed with its field when it has one."""
    parts = []
    for entry in error_entries(response):
        message = str(entry.get("message") or "").strip()
        if message:
            context = entry.get("context")
            parts.append(f"{context}: {message}" if context else message)
    return describe_or_fallback(response, "; ".join(parts))


def make_http(conn: BitbucketConnection) -> HttpClient:
    """An HttpClient for one Bitbucket connection: its URL, auth, concurrency, timeout and retries."""
    return make_client(conn, token_or_basic_headers(conn), describe_bitbucket)


# --- response models (only the fields idsync reads; extra fields are ignored) --------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class BitbucketUser(_Wire):
    """A RestDetailedUser (GET /admin/users, /admin/groups/more-members values)."""

    id: int
    name: str
    email: str | None = Field(None, alias="emailAddress")
    display_name: str | None = Field(None, alias="displayName")
    active: bool = True


class GroupName(_Wire):
    """A RestDetailedGroup; only the name is needed."""

    name: str


class MemberName(_Wire):
    """A member as `/admin/groups/more-members` lists it; validating only the username keeps a read of a
    large licence group cheap."""

    name: str


class GroupPermission(_Wire):
    """An entry of GET /admin/permissions/groups."""

    group: GroupName
    permission: str


class UserPermission(_Wire):
    """An entry of GET /admin/permissions/users."""

    user: MemberName
    permission: str


class Page(_Wire, Generic[M]):
    """Bitbucket's paged envelope; `nextPageStart` is absent on the last page."""

    start: int = 0
    is_last_page: bool = Field(alias="isLastPage")
    next_page_start: int | None = Field(None, alias="nextPageStart")
    values: list[M]


class ApplicationProperties(_Wire):
    """GET /application-properties."""

    version: str
    display_name: str | None = Field(None, alias="displayName")


class Licence(_Wire):
    """The parts of GET /admin/license that `check` shows."""

    maximum: int | None = Field(None, alias="maximumNumberOfUsers")
    unlimited: bool = Field(False, alias="unlimitedNumberOfUsers")


async def read_all(
    http: HttpClient,
    path: str,
    model: type[M],
    page_size: int,
    params: dict[str, str] | None = None,
) -> list[M]:
    """Every value of a paged resource: follows `nextPageStart` until `isLastPage`. A page that is not
    the last but gives no way forward fails the read: a partial list is never returned."""
    adapter = Page[model]  # type: ignore[valid-type]
    values: list[M] = []
    start = 0
    while True:
        query = {**(params or {}), "start": start, "limit": page_size}
        response = await http.request("GET", f"{API}{path}", params=query, ok=(200,), label=f"{API}{path}")
        page = adapter.model_validate_json(response.content)
        values.extend(page.values)
        if page.is_last_page:
            return values
        following = page.next_page_start
        if following is None or following <= start or not page.values:
            raise ConnectorError(
                f"GET {API}{path}: the page at start={start} is not the last but gives no next page "
                f"(nextPageStart={following}); the list cannot be read completely"
            )
        start = following
