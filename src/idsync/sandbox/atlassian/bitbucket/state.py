"""The emulator's in-memory Bitbucket: users, groups, direct memberships and global permissions.

Usernames and group names are unique case-insensitively and keep the case they were given. A user's
numeric `id` never changes (a rename changes `name` and `slug` only), so memberships and permissions
hold ids. A seat is what Bitbucket's licence counts: a user holding LICENSED_USER or a higher global
permission (PROJECT_CREATE, ADMIN, SYS_ADMIN), directly or through a group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PERMISSIONS: tuple[str, ...] = ("LICENSED_USER", "PROJECT_CREATE", "ADMIN", "SYS_ADMIN")
"""Global permissions, lowest first; each one includes those below it."""
RANK = {name: rank for rank, name in enumerate(PERMISSIONS, start=1)}
_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]")


def slug_for(name: str) -> str:
    """The URL-safe form of a username Bitbucket shows as `slug` (lower-case, unsafe characters as _)."""
    return _SLUG_UNSAFE.sub("_", name.lower())


@dataclass
class BitbucketUser:
    """One user of Bitbucket's internal directory."""

    id: int
    name: str
    display_name: str
    email: str
    created: datetime
    password: str | None = None
    active: bool = True
    """The directory's flag; read-only over REST (the internal directory keeps everyone active)."""
    last_authentication: datetime | None = None
    groups: set[str] = field(default_factory=set)
    """Lower-case names of the groups the user is a direct member of."""

    @property
    def slug(self) -> str:
        """The user's slug, which follows renames."""
        return slug_for(self.name)


@dataclass
class BitbucketGroup:
    """A group; `members` holds user ids. `_sorted` caches the paging order until a change."""

    name: str
    members: set[int] = field(default_factory=set)
    _sorted: list[int] | None = None

    def sorted_members(self, state: BitbucketState) -> list[int]:
        """Member ids ordered by username (the order pages are served in)."""
        if self._sorted is None:
            self._sorted = sorted(self.members, key=lambda uid: state.users[uid].name.lower())
        return self._sorted

    def changed(self) -> None:
        """Drop the cached order after a membership change or a member's rename."""
        self._sorted = None


@dataclass
class BitbucketState:
    """Everything the emulator holds; routes read and change it through these methods."""

    users: dict[int, BitbucketUser] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    """Lower-case username → id."""
    groups: dict[str, BitbucketGroup] = field(default_factory=dict)
    """Lower-case group name → group."""
    group_permissions: dict[str, str] = field(default_factory=dict)
    """Lower-case group name → its global permission (a group holds at most one, the highest)."""
    user_permissions: dict[int, str] = field(default_factory=dict)
    """User id → its direct global permission."""
    next_user_id: int = 1
    _user_order: list[BitbucketUser] | None = None

    # ---- users ----
    def user_by_name(self, name: str) -> BitbucketUser | None:
        """Find a user by username, case-insensitively."""
        uid = self.by_name.get(name.lower())
        return self.users[uid] if uid is not None else None

    def add_user(
        self, name: str, display_name: str, email: str, created: datetime, password: str | None = None
    ) -> BitbucketUser:
        """Create a user with the next id; the caller checks the name is free."""
        user = BitbucketUser(self.next_user_id, name, display_name, email, created, password)
        self.next_user_id += 1
        self.users[user.id] = user
        self.by_name[name.lower()] = user.id
        self._user_order = None
        return user

    def rename_user(self, user: BitbucketUser, new_name: str) -> None:
        """Change the username (and so the slug); the id, memberships and permissions stay."""
        del self.by_name[user.name.lower()]
        user.name = new_name
        self.by_name[new_name.lower()] = user.id
        for group_name in user.groups:
            self.groups[group_name].changed()
        self._user_order = None

    def delete_user(self, user: BitbucketUser) -> None:
        """Remove a user with its memberships and its direct permission."""
        for group_name in user.groups:
            group = self.groups[group_name]
            group.members.discard(user.id)
            group.changed()
        self.user_permissions.pop(user.id, None)
        del self.by_name[user.name.lower()]
        del self.users[user.id]
        self._user_order = None

    def user_order(self) -> list[BitbucketUser]:
        """All users by username (case-insensitive): the order /admin/users pages are served in."""
        if self._user_order is None:
            self._user_order = sorted(self.users.values(), key=lambda u: u.name.lower())
        return self._user_order

    # ---- groups ----
    def group(self, name: str) -> BitbucketGroup | None:
        """Find a group case-insensitively."""
        return self.groups.get(name.lower())

    def add_group(self, name: str) -> BitbucketGroup:
        """Create an empty group; the caller checks the name is free."""
        group = BitbucketGroup(name)
        self.groups[name.lower()] = group
        return group

    def delete_group(self, group: BitbucketGroup) -> None:
        """Remove a group, its memberships and the permission granted to it."""
        lower = group.name.lower()
        for uid in group.members:
            self.users[uid].groups.discard(lower)
        self.group_permissions.pop(lower, None)
        del self.groups[lower]

    def add_member(self, group: BitbucketGroup, user: BitbucketUser) -> None:
        """Make `user` a direct member of `group` (no-op when it already is)."""
        group.members.add(user.id)
        user.groups.add(group.name.lower())
        group.changed()

    def remove_member(self, group: BitbucketGroup, user: BitbucketUser) -> None:
        """End a direct membership (no-op when there is none)."""
        group.members.discard(user.id)
        user.groups.discard(group.name.lower())
        group.changed()

    # ---- permissions and licences ----
    def permission_of(self, user: BitbucketUser) -> str | None:
        """The user's effective global permission: the highest of its own and its groups'."""
        held = [self.user_permissions.get(user.id)]
        held += [self.group_permissions.get(g) for g in user.groups]
        ranked = [p for p in held if p is not None]
        return max(ranked, key=RANK.__getitem__) if ranked else None

    def has_permission(self, user: BitbucketUser, needed: str) -> bool:
        """Whether the user's effective global permission includes `needed`."""
        effective = self.permission_of(user)
        return effective is not None and RANK[effective] >= RANK[needed]

    def is_licensed(self, user: BitbucketUser) -> bool:
        """Whether the user takes a seat: active in its directory and LICENSED_USER or higher."""
        return user.active and self.permission_of(user) is not None

    def licensed_count(self) -> int:
        """Seats in use."""
        return sum(1 for user in self.users.values() if self.is_licensed(user))

    def newly_licensed(self, users: Iterable[BitbucketUser], groups: Iterable[BitbucketGroup]) -> int:
        """How many of `users` would take a new seat by joining `groups` (for the licence check)."""
        grants = any(g.name.lower() in self.group_permissions for g in groups)
        if not grants:
            return 0
        return sum(
            1 for user in {u.id: u for u in users}.values() if user.active and not self.is_licensed(user)
        )

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (for `GET /_sandbox/state`)."""
        return {
            "users": [
                {
                    "id": u.id,
                    "name": u.name,
                    "slug": u.slug,
                    "displayName": u.display_name,
                    "emailAddress": u.email,
                    "active": u.active,
                    "created": u.created.isoformat(),
                    "groups": sorted(self.groups[g].name for g in u.groups),
                    "permission": self.user_permissions.get(u.id),
                    "licensed": self.is_licensed(u),
                }
                for u in self.user_order()
            ],
            "groups": [
                {
                    "name": g.name,
                    "permission": self.group_permissions.get(lower),
                    "members": sorted(self.users[uid].name for uid in g.members),
                }
                for lower, g in sorted(self.groups.items())
            ],
            "licensedUsers": self.licensed_count(),
        }
