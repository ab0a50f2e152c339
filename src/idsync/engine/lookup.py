""" "Test sync" (`idsync user lookup <connection> <login>`): one user as the source holds them, and the
user each profile's rules would write — without touching any target.

Works for every source through the Source protocol's `read_user`, so an admin can check an LDAP
filter, an Okta app scope or a username regex on one person before the first real run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idsync.config.model import IdsyncConfig
from idsync.connectors import build_source
from idsync.domain.records import AttrValue, DesiredUser, SourceUser
from idsync.rules.desired import desired_state


@dataclass(frozen=True, slots=True)
class ProfileView:
    """What one profile would do with the user: the desired user, or why it leaves them out."""

    profile: str
    user: DesiredUser | None
    why_not: str | None = None


@dataclass(frozen=True, slots=True)
class UserPreview:
    """The looked-up user, their source groups, and each profile's verdict."""

    connection: str
    user: SourceUser
    groups: tuple[str, ...]
    profiles: tuple[ProfileView, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for `--json`."""
        return {
            "connection": self.connection,
            "source_id": self.user.id,
            "status": self.user.status,
            "attributes": dict(self.user.attributes),
            "groups": list(self.groups),
            "profiles": [
                {
                    "profile": view.profile,
                    "why_not": view.why_not,
                    "user": None
                    if view.user is None
                    else {
                        "username": view.user.username,
                        "email": view.user.email,
                        "display_name": view.user.display_name,
                        "active": view.user.active,
                        "properties": dict(view.user.properties),
                        "groups": {name: str(reason) for name, reason in view.user.groups.items()},
                    },
                }
                for view in self.profiles
            ],
        }


async def preview_user(config: IdsyncConfig, connection: str, login: str) -> UserPreview:
    """Read one user from `connection` and map them through every profile that reads from it.
    Raises NotFoundError when the source has no such user."""
    source = build_source(config, connection)
    try:
        snapshot = await source.read_user(login)
    finally:
        await source.aclose()
    source_id = snapshot.single_user or next(iter(snapshot.users))
    user = snapshot.users[source_id]
    views = []
    for name, profile in sorted(config.profiles.items()):
        if profile.source != connection:
            continue
        desired = desired_state(snapshot, profile)
        wanted = desired.users.get(source_id)
        views.append(ProfileView(name, wanted, None if wanted else _why_not(desired, source_id)))
    groups = tuple(sorted(group.name for group in snapshot.groups.values()))
    return UserPreview(connection, user, groups, tuple(views))


def _why_not(desired: Any, source_id: str) -> str:
    skipped: Mapping[str, str] = desired.skipped
    if source_id in skipped:
        return skipped[source_id]
    for dispute in desired.disputes:
        if source_id in dispute.source_ids:
            return f"disputed: {dispute.detail}"
    return "out of the profile's scope (scope rules or status)"


def printable(value: AttrValue) -> str:
    """An attribute value as one line of text."""
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)
