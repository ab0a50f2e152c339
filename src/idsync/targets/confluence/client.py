"""The Confluence wire: authentication headers, the error-body description and typed response models.

Confluence error bodies look like `{"statusCode": 404, "data": {...}, "message": "...", "reason":
"Not Found"}`; a 401 from the login filter may be an HTML page instead, so the body is optional.
`describe_confluence` turns either into one line for the `HttpClient` error mapping (idsync.http),
which stays the only place where statuses become errors. Credentials travel only in the
Authorization header, never in a message.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from idsync.config.connections import ConfluenceConnection
from idsync.http import HttpClient, WireResponse
from idsync.targets.atlassian import describe_or_fallback, make_client, token_or_basic_headers

API = "/rest/api"
MANIFEST = "/rest/applinks/1.0/manifest"


def error_message(response: WireResponse) -> str | None:
    """The `message` of a Confluence error body; None when the body is not Confluence JSON."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("message"), str) or not body["message"]:
        return None
    return str(body["message"])


def describe_confluence(response: WireResponse) -> str:
    """One line from a Confluence error response."""
    return describe_or_fallback(response, error_message(response))


def make_http(conn: ConfluenceConnection) -> HttpClient:
    """An HttpClient for one Confluence connection: its URL, auth, concurrency, timeout and retries."""
    return make_client(conn, token_or_basic_headers(conn), describe_confluence)


# --- response models (only the fields idsync reads; extra fields are ignored) --------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Personal(_Wire):
    """`details.personal` of a Person."""

    email: str | None = None


class Details(_Wire):
    """`details` of a Person (present with `expand=details.personal`)."""

    personal: Personal | None = None


class Person(_Wire):
    """A known user (GET /user, /user/current, /user/list results)."""

    type: str = "known"
    username: str | None = None
    user_key: str | None = Field(None, alias="userKey")
    display_name: str | None = Field(None, alias="displayName")
    status: str | None = None
    details: Details | None = None

    @property
    def email(self) -> str | None:
        """The email address, when the server showed it."""
        personal = self.details.personal if self.details is not None else None
        return personal.email if personal is not None else None


class PageLinks(_Wire):
    """`_links` of a page: `next` is present only when more results follow."""

    next: str | None = None


class PersonPage(_Wire):
    """One page of `/user/list` (Person results)."""

    results: list[Person]
    links: PageLinks = Field(default_factory=PageLinks, alias="_links")


class MemberName(_Wire):
    """A member as `/group/{name}/member` lists it; only the username is needed."""

    username: str


class MemberPage(_Wire):
    """One page of GET /group/{name}/member."""

    results: list[MemberName]
    links: PageLinks = Field(default_factory=PageLinks, alias="_links")


class CreatedUser(_Wire):
    """The 201 body of POST /admin/user."""

    user_key: str = Field(alias="userKey")


class TaskLinks(_Wire):
    """`links` of a long-task submission."""

    status: str | None = None


class LongTaskSubmission(_Wire):
    """The 202 body of DELETE /admin/user/{username} (field list not verified beyond `id`)."""

    id: str
    links: TaskLinks = Field(default_factory=TaskLinks)


class LongTaskStatus(_Wire):
    """GET /longtask/{id}."""

    id: str | None = None
    finished: bool = False
    successful: bool = False
    percentage_complete: int | None = Field(None, alias="percentageComplete")
    messages: list[Any] = Field(default_factory=list)


class Manifest(_Wire):
    """GET /rest/applinks/1.0/manifest (JSON form)."""

    type_id: str | None = Field(None, alias="typeId")
    version: str
