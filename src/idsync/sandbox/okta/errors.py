"""Okta error bodies and the exception routes raise to produce them.

OktaError(status, code, summary, causes)
  rendered as {"errorCode", "errorSummary", "errorLink" (= errorCode), "errorId", "errorCauses"}
"""

from __future__ import annotations

import secrets
import string

import orjson

JSON_TYPE = "application/json;charset=UTF-8"
_ALNUM = string.ascii_letters + string.digits


def error_id() -> str:
    """An Okta-looking errorId ("oae" + 22 characters)."""
    return "oae" + "".join(secrets.choice(_ALNUM) for _ in range(22))


class OktaError(Exception):
    """An Okta API error: raised anywhere in a route, rendered once by the app's handler."""

    def __init__(self, status: int, code: str, summary: str, causes: list[str] | None = None) -> None:
        super().__init__(f"{status} {code} {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = causes or []

    def body(self) -> bytes:
        """The JSON error body exactly as Okta documents it."""
        return error_body(self.code, self.summary, self.causes)


def error_body(code: str, summary: str, causes: list[str] | None = None) -> bytes:
    """Serialise one Okta error."""
    return orjson.dumps(
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": error_id(),
            "errorCauses": [{"errorSummary": cause} for cause in causes or []],
        }
    )


def validation(field: str, message: str) -> OktaError:
    """400 E0000001 "Api validation failed: {field}" with the cause "{field}: {message}"."""
    return OktaError(400, "E0000001", f"Api validation failed: {field}", [f"{field}: {message}"])


def not_found(resource_id: str, kind: str) -> OktaError:
    """404 E0000007 in the observed wording: "Not found: Resource not found: {id} ({kind})"."""
    return OktaError(404, "E0000007", f"Not found: Resource not found: {resource_id} ({kind})")


def forbidden() -> OktaError:
    """403 E0000006: the caller's token may not do this (scoped tokens, read-only objects)."""
    return OktaError(403, "E0000006", "You do not have permission to perform the requested action")


def wrong_status() -> OktaError:
    """403 E0000038: a lifecycle operation not allowed from the user's current status."""
    return OktaError(403, "E0000038", "This operation is not allowed in the user's current status.")


def bad_query(reason: str) -> OktaError:
    """400 E0000031 for a filter/search expression the endpoint does not support."""
    return OktaError(400, "E0000031", "Invalid search criteria.", [reason])


def malformed_body() -> OktaError:
    """400 E0000003 for a body that is not JSON (or not the expected JSON shape)."""
    return OktaError(400, "E0000003", "The request body was not well-formed.")


INVALID_TOKEN = OktaError(401, "E0000011", "Invalid token provided")
RATE_LIMITED = OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.")
PATH_NOT_FOUND = OktaError(404, "E0000008", "The requested path was not found")
METHOD_NOT_ALLOWED = OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method")

_INJECTED: dict[int, tuple[str, str]] = {
    429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    503: ("E0000010", "Service is in read only mode"),
}


def injected_error(status: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Body for a fault injected by FaultMiddleware, in Okta's format (500 → E0000009)."""
    code, summary = _INJECTED.get(status, ("E0000009", "Internal Server Error"))
    return error_body(code, summary), []
