"""Which attributes and operators each endpoint's `filter` / `search` accepts,
and how an attribute name reads a record. `filter` compares values exactly and `search` ignores
their case, as the docs' wording says (no other source tells)."""

from __future__ import annotations

from typing import Any

from idsync.sandbox.okta.model import Group, User
from idsync.sandbox.okta.query import Dialect

_ORDER = frozenset({"gt", "ge", "lt", "le"})

_USER_FILTER_ATTRS = frozenset(
    {"status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName"}
)
_USER_TOP = {
    "id": "id", "status": "status", "created": "created", "activated": "activated",
    "statusChanged": "status_changed", "lastUpdated": "last_updated", "lastLogin": "last_login",
    "passwordChanged": "password_changed",
}  # fmt: skip
_USER_CO = frozenset({"profile.firstName", "profile.lastName", "profile.email", "profile.login"})
_USER_DATES = frozenset(
    {"created", "activated", "statusChanged", "lastUpdated", "lastLogin", "passwordChanged"}
)

USER_FILTER = Dialect(
    name="filter",
    attributes=_USER_FILTER_ATTRS.__contains__,
    operators=lambda attr, op: op == "eq" or (attr == "lastUpdated" and op in _ORDER),
    case_insensitive=False,
    allow_not=False,
    dates=frozenset({"lastUpdated"}),
)

USER_SEARCH = Dialect(
    name="search",
    attributes=lambda attr: attr in _USER_TOP or attr == "type.id" or attr.startswith("profile."),
    # No `ne` in search; `co` only on four profile attributes; gt/lt on dates and strings
    # (the documented `status lt "STAGED" or status gt "STAGED"` idiom needs them on status).
    operators=lambda attr, op: op in {"eq", "sw", "pr"} | _ORDER or (op == "co" and attr in _USER_CO),
    case_insensitive=True,
    allow_not=False,
    dates=_USER_DATES,
)

_GROUP_TOP = {
    "id": "id",
    "type": "type",
    "created": "created",
    "lastUpdated": "last_updated",
    "lastMembershipUpdated": "last_membership_updated",
}
_GROUP_DATES = frozenset({"created", "lastUpdated", "lastMembershipUpdated"})

GROUP_FILTER = Dialect(
    name="filter",
    attributes=frozenset({"id", "type", "lastUpdated", "lastMembershipUpdated"}).__contains__,
    operators=lambda attr, op: (
        op == "eq" or (attr in ("lastUpdated", "lastMembershipUpdated") and op in _ORDER)
    ),
    case_insensitive=False,
    allow_not=False,
    dates=frozenset({"lastUpdated", "lastMembershipUpdated"}),
)

GROUP_SEARCH = Dialect(
    name="search",
    attributes=lambda attr: attr in _GROUP_TOP or attr == "source.id" or attr.startswith("profile."),
    operators=lambda attr, op: (
        op in ("eq", "sw", "pr")
        or (op == "co" and attr in ("profile.name", "profile.description"))
        or (op in _ORDER and attr in _GROUP_DATES)
    ),
    case_insensitive=True,
    allow_not=False,
    dates=_GROUP_DATES,
)

LOG_FILTER = Dialect(
    name="System Log filter",
    attributes=lambda attr: attr != "published" and bool(attr),
    operators=lambda attr, op: True,
    case_insensitive=False,
    allow_not=True,
    dates=frozenset(),
)


def user_value(user: User, attr: str) -> Any:
    """Read `attr` ("status", "profile.department", "type.id", …) from a user."""
    if attr.startswith("profile."):
        return user.profile.get(attr[8:])
    if attr == "type.id":
        return USER_TYPE_ID
    field = _USER_TOP.get(attr)
    return getattr(user, field) if field else None


def group_value(group: Group, attr: str) -> Any:
    """Read `attr` from a group."""
    if attr.startswith("profile."):
        return group.profile.get(attr[8:])
    if attr == "source.id":
        return group.source_app_id
    field = _GROUP_TOP.get(attr)
    return getattr(group, field) if field else None


def log_value(event: dict[str, Any], attr: str) -> Any:
    """Read a dotted path from a LogEvent; through `target` (a list) it yields every target's value."""
    current: Any = event
    for part in attr.split("."):
        if isinstance(current, list):
            current = [item.get(part) if isinstance(item, dict) else None for item in current]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


USER_TYPE_ID = "oty0sandboxdefault01"
