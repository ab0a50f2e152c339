"""The Jira wire: authentication headers, the error-body description and typed response models.

Jira error bodies look like
`{"errorMessages": ["..."], "errors": {"username": "A user with that username already exists."}}`;
a 401 from the auth filter may be HTML or empty, so the body is optional. `describe_jira` turns any
of them into one line for the `HttpClient` error mapping (idsync.http), which stays the only place
where statuses become errors. Credentials travel only in the Authorization header, never in a message.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from idsync.config.connections import JiraConnection
from idsync.http import HttpClient, WireResponse
from idsync.targets.atlassian import describe_or_fallback, make_client, token_or_basic_headers

API = "/rest/api/2"
"""Base path of every call (`/rest/api/latest/` is an alias of it)."""


def error_parts(response: WireResponse) -> tuple[list[str], dict[str, str]]:
    """Jira's `errorMessages` and `errors` of an error response; empty when the body is not Jira JSON."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return [], {}
    if not isinstance(body, dict):
        return [], {}
    raw_messages = body.get("errorMessages")
    messages = [str(m) for m in raw_messages if m] if isinstance(raw_messages, list) else []
    raw_errors = body.get("errors")
    errors = {str(k): str(v) for k, v in raw_errors.items()} if isinstance(raw_errors, dict) else {}
    return messages, errors


def describe_jira(response: WireResponse) -> str:
    """One line from a Jira error body: general messages, then `field: message` pairs."""
    messages, errors = error_parts(response)
    parts = messages + [f"{name}: {text}" for name, text in sorted(errors.items())]
    return describe_or_fallback(response, "; ".join(parts))


def make_http(conn: JiraConnection) -> HttpClient:
    """An HttpClient for one Jira connection: its URL, auth, concurrency, timeout and retries."""
    return make_client(conn, token_or_basic_headers(conn), describe_jira)


# --- response models (only the fields idsync reads; extra fields are ignored) --------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class JiraUser(_Wire):
    """A UserBean (GET /user, /user/search, /group/member values)."""

    key: str
    name: str
    email: str | None = Field(None, alias="emailAddress")
    display_name: str | None = Field(None, alias="displayName")
    active: bool = True


class MemberName(_Wire):
    """A member as `/group/member` lists it; only the username is needed (the page carries full
    UserBeans: validating just one field of each keeps a 200,000-member read cheap)."""

    name: str


class MemberPage(_Wire):
    """One page of GET /group/member."""

    start_at: int = Field(0, alias="startAt")
    max_results: int = Field(50, alias="maxResults")
    total: int | None = None
    is_last: bool = Field(alias="isLast")
    values: list[MemberName]

    @classmethod
    def parse(cls, content: bytes) -> MemberPage:
        """The page from its body. Pydantic parses every field of every full UserBean on the page
        even when told to ignore them (0.26 s for 13 pages of 1,000 in a 100-change run), so a
        well-formed page is taken straight from orjson; anything else goes through the model, which
        raises exactly the validation error it always did."""
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            return cls.model_validate_json(content)
        if not isinstance(body, dict):
            return cls.model_validate_json(content)
        start: Any = body.get("startAt", 0)
        size: Any = body.get("maxResults", 50)
        total: Any = body.get("total")
        last: Any = body.get("isLast")
        values: Any = body.get("values")
        if not _page_shape(start, size, total, last, values):
            return cls.model_validate_json(content)
        names = [MemberName.model_construct(name=value["name"]) for value in values]
        return cls.model_construct(start_at=start, max_results=size, total=total, is_last=last, values=names)


def _page_shape(start: Any, size: Any, total: Any, last: Any, values: Any) -> bool:
    """Whether a member page's fields have the types the model would accept without coercion."""
    return (
        type(start) is int and type(size) is int and (total is None or type(total) is int)
        and type(last) is bool and type(values) is list
        and all(type(value) is dict and type(value.get("name")) is str for value in values)
    )


class UserRef(_Wire):
    """The lite UserBean Jira embeds as a project's or component's `lead`."""

    name: str | None = None
    key: str | None = None


class JiraProject(_Wire):
    """A project (GET /project, GET /project/{key}); `lead` may be missing from the list form."""

    id: str
    key: str
    name: str
    lead: UserRef | None = None


class JiraComponent(_Wire):
    """A component (GET /project/{key}/components)."""

    id: str
    name: str
    lead: UserRef | None = None
    lead_user_name: str | None = Field(None, alias="leadUserName")

    @property
    def lead_name(self) -> str | None:
        """The lead's username, from `leadUserName` or the embedded lead."""
        if self.lead_user_name:
            return self.lead_user_name
        return self.lead.name if self.lead is not None else None


class EntityProperty(_Wire):
    """GET /user/properties/{key}: `{"key": ..., "value": <any JSON>}`."""

    key: str
    value: Any = None


class ServerInfo(_Wire):
    """GET /serverInfo."""

    version: str
    base_url: str | None = Field(None, alias="baseUrl")
    deployment_type: str | None = Field(None, alias="deploymentType")


USER_LIST = TypeAdapter(list[JiraUser])
PROJECT_LIST = TypeAdapter(list[JiraProject])
COMPONENT_LIST = TypeAdapter(list[JiraComponent])
