"""Atlassian's SCIM error body and the one exception the routes raise to produce it.

    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
     "scimType": "invalidValue", "detail": "Resource [USER] ..."}

`status` is the HTTP status as a JSON *string* (RFC 7644 §3.12, and what Atlassian sends); `scimType`
is present only where RFC 7644 defines a keyword for the case. Details of user and group errors start
with "Resource [USER]" / "Resource [GROUP]" as Atlassian's observed message does.

Errors that scim2-models raises while reading a payload (a ValidationError, a SCIMException) are
turned into a CloudError once, here, so the routes only deal with one type.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from scim2_models import Error, SCIMException

SCIM_JSON = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


class CloudError(Exception):
    """An error response in Atlassian's SCIM format."""

    def __init__(
        self, status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}


def error_body(status: int, detail: str, scim_type: str | None = None) -> bytes:
    """The JSON of one error."""
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return orjson.dumps(body)


def user_error(status: int, text: str, scim_type: str | None = None) -> CloudError:
    """An error about a user resource."""
    return CloudError(status, f"Resource [USER] {text}", scim_type)


def group_error(status: int, text: str, scim_type: str | None = None) -> CloudError:
    """An error about a group resource."""
    return CloudError(status, f"Resource [GROUP] {text}", scim_type)


def not_found(kind: str, resource_id: str) -> CloudError:
    """The 404 of an unknown (or deleted) user or group id."""
    return CloudError(404, f"Resource [{kind.upper()}] {kind} {resource_id!r} not found")


def from_library(exc: ValidationError | SCIMException, kind: str) -> CloudError:
    """A scim2-models error reading a payload of `kind` ("USER", "GROUP" or "" for a message),
    as a CloudError with the library's RFC keyword and its text."""
    prefix = f"Resource [{kind}] " if kind else ""
    if isinstance(exc, SCIMException):
        return CloudError(exc.status, prefix + exc.detail, exc.scim_type or None)
    errors = Error.from_validation_errors(exc)
    first = errors[0]
    detail = "; ".join(e.detail or "" for e in errors)
    return CloudError(first.status or 400, prefix + detail, first.scim_type)
