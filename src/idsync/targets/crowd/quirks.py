"""What Crowd does differently from the other Atlassian targets, in one place.

- The `reason` of an error body says more than its status: POST /group/user/direct answers **400**
  (not 404) with reason USER_NOT_FOUND when the user is missing, and "already exists" is a 400 with
  reason INVALID_USER / INVALID_GROUP. `refine` turns such answers into the error type the apply
  engine acts on (NotFoundError, ConflictError); the status mapping itself stays in idsync.http.
- A 404 counts as "absent" only when the body says USER_NOT_FOUND / GROUP_NOT_FOUND: a 404 without a
  Crowd error entity (a URL missing Crowd's `/crowd` context path) must fail the read, never turn
  into "nobody exists", which would plan to create everyone.
- GET /user/group/direct?username=<missing> answers 200 with an empty list (Crowd bugs CWD-4433 /
  CWD-4470), so idsync never uses it to learn whether a user exists.
- PUT /user replaces first, last and display name and email, so an update resends the whole user.
- Crowd has first and last names besides the display name; idsync manages the display name and
  derives the two from it.
- Search restrictions are Crowd Query Language strings, built here by a helper that quotes values.
- A new user needs a password even though people sign in through SSO or the directory: idsync sends a
  strong random one per user, which it never logs or stores.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterable

from idsync.domain.errors import ConflictError, ConnectorError, NotFoundError
from idsync.http import WireResponse, error_for
from idsync.targets.crowd.client import describe_crowd, error_parts

NOT_FOUND_REASONS = frozenset({"USER_NOT_FOUND", "GROUP_NOT_FOUND", "MEMBERSHIP_NOT_FOUND"})
_EXISTS = re.compile(r"already exists", re.IGNORECASE)
_CQL_UNSAFE = frozenset('"\\')


def is_reason(response: WireResponse, *reasons: str) -> bool:
    """Whether the response is a Crowd error entity with one of `reasons`."""
    return error_parts(response)[0] in reasons


def already_exists(response: WireResponse) -> bool:
    """A 400 / 409 that says the object (user, group, membership) is already there."""
    reason, message = error_parts(response)
    if reason == "MEMBERSHIP_ALREADY_EXISTS":
        return True
    return reason in ("INVALID_USER", "INVALID_GROUP") and bool(message and _EXISTS.search(message))


def refine(response: WireResponse) -> ConnectorError:
    """The mapped error for `response`, with Crowd's reason deciding where the status is ambiguous."""
    mapped = error_for(response, describe_crowd)
    reason = error_parts(response)[0]
    if reason in NOT_FOUND_REASONS and not isinstance(mapped, NotFoundError):
        return NotFoundError(str(mapped), status=response.status_code)
    if already_exists(response) and not isinstance(mapped, ConflictError):
        return ConflictError(str(mapped), status=response.status_code)
    return mapped


def cql_quote(value: str) -> str:
    """A CQL string literal: double quotes, with backslash and quote escaped. A `*` stays a wildcard,
    which only widens a search; callers keep exact matches."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cql_any(field: str, values: Iterable[str]) -> str:
    """`field="a" or field="b" ...`: one search for several exact values."""
    return " or ".join(f"{field}={cql_quote(value)}" for value in values)


def cql_safe(value: str) -> bool:
    """Whether a value can go into a batched search: quotes and backslashes are escaped by
    `cql_quote`, but Crowd's escaping rules are not documented, so such a value is looked up alone
    (a username by GET /user, an email by a search of its own) and cannot spoil a whole batch."""
    return not (set(value) & _CQL_UNSAFE)


def split_display_name(display_name: str) -> tuple[str, str]:
    """First and last name from a display name: the last word is the last name ("Anna Maria Smith" →
    "Anna Maria", "Smith"); one word is a first name with an empty last name."""
    first, _, last = display_name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def attribute_value(values: list[str] | None) -> str | None:
    """A custom attribute's value as idsync compares it: idsync writes one value; none is "not set";
    several (written by someone else) compare as their JSON list, so the next write makes it one."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return json.dumps(values)


def strong_password() -> str:
    """A random 32-character password with lower and upper case letters, digits and punctuation, so
    it satisfies any password complexity rule a Crowd directory may have."""
    alphabet = string.ascii_letters + string.digits + "!#%+-.:=?@_~"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(32))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password)
        ):
            return password
