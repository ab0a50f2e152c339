"""Plain-record builders for rules and diff tests (no servers, no mocks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from idsync.config.profiles import Profile
from idsync.domain.records import AttrValue, Snapshot, SourceGroup, SourceUser

READ_AT = datetime(2025, 1, 1, tzinfo=UTC)


def person(uid: str, login: str, status: str = "ACTIVE", **attributes: AttrValue) -> SourceUser:
    """An Okta-like source user with login, email and names derived from the login."""
    local = login.split("@")[0]
    attrs: dict[str, AttrValue] = {
        "login": login,
        "email": login if "@" in login else f"{login}@example.com",
        "firstName": local.capitalize(),
        "lastName": "Tester",
    }
    attrs.update(attributes)
    return SourceUser(uid, status, {k: v for k, v in attrs.items() if v is not None})


def group(gid: str, name: str, *members: str) -> SourceGroup:
    """A source group with its members' source ids."""
    return SourceGroup(gid, name, frozenset(members))


def snapshot(users: Sequence[SourceUser], groups: Sequence[SourceGroup] = (),
             single_user: str | None = None) -> Snapshot:
    """A complete snapshot of the given users and groups."""
    return Snapshot("okta", {u.id: u for u in users}, {g.id: g for g in groups}, READ_AT,
                    single_user=single_user)


def profile(**sections: Any) -> Profile:
    """A profile with the given sections (dicts as in the YAML config)."""
    return Profile.model_validate({"source": "okta", "targets": ["jira"], **sections})
