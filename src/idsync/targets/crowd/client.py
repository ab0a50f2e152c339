"""The Crowd wire: application authentication, the error-body description and typed response models.

Crowd authenticates the calling *application* (Basic auth with the application's name and password),
not a user. Error bodies look like `{"reason": "USER_NOT_FOUND", "message": "User <jdoe> does not
exist"}`; `describe_crowd` turns them (or Crowd's XML form, or an empty body) into one line for the
`HttpClient` error mapping (idsync.http), which stays the only place where statuses become errors.
Credentials travel only in the Authorization header, never in a message.
"""

from __future__ import annotations

import re

import orjson
from pydantic import BaseModel, ConfigDict, Field

from idsync.config.connections import CrowdConnection
from idsync.http import HttpClient, WireResponse, describe_plain
from idsync.targets.atlassian import basic_authorization, make_client

API = "/rest/usermanagement/1"
"""Base path of every call, after the connection URL (which includes Crowd's context path, often
`/crowd`)."""

_XML_FIELD = re.compile(r"<(reason|message)>([^<]*)</\1>")


def auth_headers(conn: CrowdConnection) -> dict[str, str]:
    """Basic auth as the application, and JSON: Crowd answers XML unless JSON is asked for."""
    return {
        "Accept": "application/json",
        "Authorization": basic_authorization(conn.application, conn.password.get_secret_value()),
    }


def error_parts(response: WireResponse) -> tuple[str | None, str | None]:
    """(reason, message) of a Crowd error entity in JSON or XML; (None, None) for anything else."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        found = dict(_XML_FIELD.findall(response.text)) if response.content else {}
        return found.get("reason"), found.get("message")
    if not isinstance(body, dict):
        return None, None
    reason, message = body.get("reason"), body.get("message")
    return (str(reason) if reason else None), (str(message) if message else None)


def error_reason(response: WireResponse) -> str | None:
    """Just the `reason` of an error response."""
    return error_parts(response)[0]


def describe_crowd(response: WireResponse) -> str:
    """One line from a Crowd error body: `REASON: message`."""
    reason, message = error_parts(response)
    if reason or message:
        return ": ".join(part for part in (reason, message) if part)[:500]
    if response.status_code == 401:
        return "application authentication failed (check the application name and password)"
    if response.status_code == 404 and not response.content:
        return "no such resource (check that the URL includes Crowd's context path, e.g. /crowd)"
    return describe_plain(response)


def make_http(conn: CrowdConnection) -> HttpClient:
    """An HttpClient for one Crowd connection: its URL, auth, concurrency, timeout and retries."""
    return make_client(conn, auth_headers(conn), describe_crowd)


# --- response models (only the fields idsync reads; extra fields are ignored) --------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Attribute(_Wire):
    """One user attribute: Crowd attributes are multi-valued lists of strings."""

    name: str
    values: list[str] = []


class AttributeList(_Wire):
    """`{"attributes": [...], "link": ...}`; `attributes` is missing when not expanded."""

    attributes: list[Attribute] | None = None


class CrowdUser(_Wire):
    """A User (GET /user, expanded search and member lists)."""

    key: str
    name: str
    first_name: str | None = Field(None, alias="first-name")
    last_name: str | None = Field(None, alias="last-name")
    display_name: str | None = Field(None, alias="display-name")
    email: str | None = None
    active: bool = True
    attributes: AttributeList | None = None


class NameRef(_Wire):
    """An entry of a list that is not expanded: only the name (and a link idsync does not need)."""

    name: str


class NameList(_Wire):
    """`{"expand": "user", "users": [{"name"}]}` (a group's direct members, not expanded)."""

    users: list[NameRef] = []


class UserList(_Wire):
    """`{"expand": "user", "users": [User...]}` with `expand=user`."""

    users: list[CrowdUser] = []
