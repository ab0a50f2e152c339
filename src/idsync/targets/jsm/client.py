"""The servicedeskapi wire (Jira Service Management, Data Center and Cloud alike): its error body,
its page envelope, the service-desk and user shapes idsync reads, and the HttpClient that sends
`X-ExperimentalApi: opt-in` on every call.

Error bodies are not Jira's: `{"errorMessage": "...", "i18nErrorMessage": {"i18nKey": "...",
"parameters": [...]}}`. Only Cloud documents that shape; idsync reads it on both and falls back to
Jira's `errorMessages` / `errors` and to plain text. A server without a JSM licence answers every
servicedeskapi call but `/info` with a 403 HTML page, which gets a message saying so.

Experimental operations (a desk's customer list, removing customers) need the opt-in header on
Cloud (412 without it); Data Center's docs spell its value `true`, while the client libraries send
`opt-in` everywhere and servers accept it, so idsync sends `opt-in` on every call, as they do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from idsync.config.connections import HttpConnection
from idsync.domain.errors import ConnectorError
from idsync.http import HttpClient, WireResponse
from idsync.targets.atlassian import describe_or_fallback, make_client
from idsync.targets.jira.client import describe_jira

API = "/rest/servicedeskapi"
EXPERIMENTAL = {"X-ExperimentalApi": "opt-in"}
_UNLICENSED = ("Jira Service Management refused with an HTML page (403): is it installed and licensed "
               "on this server? GET /rest/servicedeskapi/info reports isLicensedForUse")


def error_message(response: WireResponse) -> str:
    """The `errorMessage` of a servicedeskapi error body ("" when there is none)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("errorMessage")
    i18n = body.get("i18nErrorMessage")
    key = i18n.get("i18nKey") if isinstance(i18n, dict) else None
    if isinstance(message, str) and message:
        return f"{message} ({key})" if isinstance(key, str) and key else message
    return key if isinstance(key, str) else ""


def describe_jsm(response: WireResponse) -> str:
    """One line from a servicedeskapi error: its own body, else Jira's, else what an HTML 403 means."""
    text = error_message(response)
    if text:
        return text[:500]
    if response.status_code == 403 and "html" in response.headers.get("content-type", ""):
        return _UNLICENSED
    return describe_jira(response)


def make_desk_http(
    conn: HttpConnection, headers: Mapping[str, str]
) -> HttpClient:
    """The HttpClient of a connection's servicedeskapi calls: its auth `headers` plus the opt-in."""
    return make_client(conn, {**headers, **EXPERIMENTAL}, describe_jsm)


def describe_platform(response: WireResponse) -> str:
    """A Jira platform (`/rest/api/…`) error, for the Cloud site's user lookups."""
    return describe_or_fallback(response, describe_jira(response))


# --- wire models ---------------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Page(_Wire):
    """The servicedeskapi page envelope: no total; loop on `isLastPage`, advancing by `size` (a
    server caps `limit` silently, so a short page is not the last one unless it says so)."""

    size: int
    start: int = 0
    is_last_page: bool = Field(alias="isLastPage")
    values: list[dict[str, Any]]


class DeskDto(_Wire):
    """GET /servicedesk values (ids are strings)."""

    id: str
    project_key: str = Field(alias="projectKey")
    project_name: str = Field("", alias="projectName")


class UserDto(_Wire):
    """A servicedeskapi UserDTO (Data Center: name and key; Cloud: accountId)."""

    name: str | None = None
    key: str | None = None
    account_id: str | None = Field(None, alias="accountId")
    email: str | None = Field(None, alias="emailAddress")
    display_name: str | None = Field(None, alias="displayName")


class CloudUser(_Wire):
    """A Jira Cloud platform user (GET /rest/api/3/user/search, /user)."""

    account_id: str = Field(alias="accountId")
    account_type: str | None = Field(None, alias="accountType")
    email: str | None = Field(None, alias="emailAddress")
    display_name: str | None = Field(None, alias="displayName")
    active: bool = True


CLOUD_USERS = TypeAdapter(list[CloudUser])


async def pages(
    http: HttpClient, path: str, limit: int, label: str, params: Mapping[str, Any] | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of a servicedeskapi listing, in order; complete, or raises."""
    start = 0
    while True:
        response = await http.request(
            "GET", path, params={**(params or {}), "start": start, "limit": limit}, ok=(200,), label=label
        )
        page = Page.model_validate_json(response.content)
        yield page.values
        if page.is_last_page:
            return
        if page.size <= 0:
            raise ConnectorError(f"GET {path}: page at start={start} is empty but not the last one; the "
                                 "listing cannot be read completely")
        start += page.size
