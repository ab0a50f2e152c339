"""The SCIM wire: scim2-client's request building and response checking, with the bytes sent by
idsync's `HttpClient`.

scim2-client (pinned 0.13.2) builds each request from scim2-models objects and checks each answer
against what discovery published (status codes, content type, schemas, attribute types). Its own
engines send through httpx2, which would bypass idsync's retries, 429 waits, metrics and secret
handling; `ScimWire` is a scim2-client engine whose `request` goes through `HttpClient` instead.

Errors: a non-2xx answer never reaches scim2-client. `HttpClient` maps it (idsync.http, the one
status → error table), and `describe_scim` turns the RFC 7644 §3.12 error body into the message —
`status` may be a JSON string (the RFC, Atlassian) or a number (Okta's documents), both are read. An
answer scim2-client refuses (a body that is not the resource the request asked for) becomes a
`ConnectorError` here, at the edge, naming the request.

    SCIM answer                        → idsync error (raised by)
    429, 500, 502, 503, 504             → TransientError   (HttpClient: retried, Retry-After waited out)
    401, 403                            → StopSyncError    (HttpClient)
    404                                 → NotFoundError    (HttpClient)
    409 (scimType uniqueness)           → ConflictError    (HttpClient; writes.py looks the holder up)
    other 4xx (invalidValue, ...)       → BadRequestError  (HttpClient; the message names scimType/detail)
    2xx that is not valid SCIM          → ConnectorError   (here)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from scim2_client.client import BaseAsyncSCIMClient
from scim2_client.errors import SCIMClientException
from scim2_models import SCIMException, ScimFilter

from idsync.config.connections import HttpConnection
from idsync.domain.errors import ConnectorError
from idsync.http import HttpClient, WireResponse
from idsync.targets.atlassian import describe_or_fallback, make_client

SCIM_JSON = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SUCCESS = (200, 201, 204)
"""What counts as done; every other status is mapped to an error by HttpClient (and retried there)."""

UNAUTHORIZED = "authentication failed (check the connection's token: a SCIM bearer token / directory API key)"


@dataclass(frozen=True, slots=True)
class ScimErrorBody:
    """An RFC 7644 §3.12 error response: `status` as a number whichever way the server spelt it."""

    status: int | None
    scim_type: str | None
    detail: str | None


def error_body(response: WireResponse) -> ScimErrorBody | None:
    """The SCIM error of a response body, or None when the body is not one."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    schemas = body.get("schemas")
    if not (isinstance(schemas, list) and ERROR_SCHEMA in schemas) and "detail" not in body:
        return None
    raw_status = body.get("status")
    status: int | None = None
    if isinstance(raw_status, int) and not isinstance(raw_status, bool):
        status = raw_status
    elif isinstance(raw_status, str) and raw_status.strip().isdigit():
        status = int(raw_status.strip())
    scim_type = body.get("scimType")
    detail = body.get("detail")
    return ScimErrorBody(
        status,
        scim_type if isinstance(scim_type, str) and scim_type else None,
        detail if isinstance(detail, str) and detail else None,
    )


def describe_scim(response: WireResponse) -> str:
    """One line from a SCIM error body: "<scimType>: <detail>" (either may be missing)."""
    body = error_body(response)
    text = ""
    if body is not None:
        text = ": ".join(part for part in (body.scim_type, body.detail) if part)
    return describe_or_fallback(response, text, UNAUTHORIZED)


def make_http(
    conn: HttpConnection, token: str
) -> HttpClient:
    """An HttpClient for one SCIM connection: its URL, bearer token, concurrency, timeout, retries."""
    headers = {"Accept": SCIM_JSON, "Authorization": f"Bearer {token}"}
    return make_client(conn, headers, describe_scim)


def eq_filter(attribute: str, value: str) -> str:
    """`<attribute> eq "<value>"`, the value quoted and escaped by scim2-models (never an f-string of
    raw input: an unquoted value is a different filter)."""
    return str(ScimFilter(f"{attribute} eq {ScimFilter.quote(value)}"))


class ScimWire(BaseAsyncSCIMClient):
    """scim2-client's async API over idsync's HttpClient.

    `request` is the one hook scim2-client leaves to an engine: method, URL relative to the base URL,
    and `params` (query) or `json` (body). What comes back is idsync's `Response`, which has the
    `status_code`, `headers` and `text` scim2-client reads."""

    def __init__(self, http: HttpClient, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.http = http

    def _stays_under_base_url(self, endpoint: str) -> bool:
        # Endpoints come from /ResourceTypes; an absolute one must point back under our base URL, or
        # the bearer token would be sent elsewhere.
        if endpoint.startswith(("http://", "https://")):
            return endpoint.startswith(self.http.base_url + "/")
        return not endpoint.startswith("//")

    def _parse_json(self, response: Any) -> Any:
        return orjson.loads(response.content)

    async def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send through HttpClient; a failure status raises the mapped idsync error."""
        params: Mapping[str, Any] | None = kwargs.get("params")
        label = kwargs.get("label")
        return await self.http.request(
            method, url, params=params, json=kwargs.get("json"), ok=SUCCESS, label=label
        )


def unreadable(what: str, exc: Exception) -> ConnectorError:
    """A 2xx answer scim2-client refused (not the SCIM object asked for), as a ConnectorError."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    notes = getattr(exc, "__notes__", None)
    if notes:
        text += f" ({str(notes[0]).splitlines()[0][:200]})"
    return ConnectorError(f"{what}: the server's answer is not valid SCIM: {text[:400]}")


CHECKED = (SCIMClientException, SCIMException, ValidationError)
"""What scim2-client and scim2-models raise for an answer (or a payload) they refuse."""
