"""The emulator's typed records (users, groups, apps, assignments, hooks, tokens) and Okta-shaped ids
and timestamps. Timestamps are stored already formatted ("2024-01-02T03:04:05.678Z"): that format
sorts as text, so filters compare strings and responses need no conversion."""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_ID_ALPHABET = string.ascii_letters + string.digits

USER_STATUSES = (
    "STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED",
    "DEPROVISIONED",
)  # fmt: skip
GROUP_TYPES = ("OKTA_GROUP", "APP_GROUP", "BUILT_IN")


def okta_id(prefix: str, rng: random.Random) -> str:
    """An Okta-shaped 20-character id: "00u…" users, "00g…" groups, "0oa…" apps, "who…" hooks."""
    return prefix + "".join(rng.choices(_ID_ALPHABET, k=20 - len(prefix)))


def iso(moment: datetime) -> str:
    """Okta's timestamp format: UTC, milliseconds, "Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def login_key(login: str) -> str:
    """Login uniqueness ignores case and diacritics."""
    decomposed = unicodedata.normalize("NFKD", login)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(slots=True)
class User:
    """An Okta user. `profile` holds base and custom attributes flat, as Okta does."""

    id: str
    status: str
    created: str
    last_updated: str
    profile: dict[str, Any]
    activated: str | None = None
    status_changed: str | None = None
    last_login: str | None = None
    password_changed: str | None = None
    has_password: bool = True


@dataclass(slots=True)
class Group:
    """An Okta group; APP_GROUPs carry the id of the app they were imported from."""

    id: str
    type: str
    created: str
    last_updated: str
    last_membership_updated: str
    profile: dict[str, Any]
    source_app_id: str | None = None


@dataclass(slots=True)
class App:
    """An app integration (only what app-based sync reads)."""

    id: str
    name: str
    label: str
    created: str
    last_updated: str
    sign_on_mode: str = "SAML_2_0"
    status: str = "ACTIVE"


@dataclass(slots=True)
class AppUser:
    """A direct (scope USER) assignment of a user to an app."""

    user_id: str
    created: str
    last_updated: str
    user_name: str
    profile: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AppGroup:
    """A group assigned to an app; its members become app users with scope GROUP."""

    group_id: str
    last_updated: str
    priority: int = 0


@dataclass(slots=True)
class EventHook:
    """An event hook registration. `auth_value` is the secret sent to the receiver: never rendered."""

    id: str
    name: str
    event_types: list[str]
    uri: str
    headers: list[dict[str, str]]
    auth_key: str | None
    auth_value: str | None
    created: str
    last_updated: str
    status: str = "ACTIVE"
    verification_status: str = "UNVERIFIED"


@dataclass(frozen=True, slots=True)
class Token:
    """An admin API token: `group_ids` None is a super admin; a set limits it to those groups (#7)."""

    id: str
    name: str
    group_ids: frozenset[str] | None = None
