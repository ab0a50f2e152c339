"""The emulator's in-memory Crowd directory: users, groups, direct user memberships, child groups and
user attributes.

Names are unique case-insensitively and keep the case they were created with, as Crowd does. A user
`key` is `<directory id>:<uuid>`: it is assigned once and survives renames, so memberships hold keys.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CrowdUser:
    """One user of the emulated internal directory."""

    key: str
    name: str
    first_name: str
    last_name: str
    display_name: str
    email: str
    active: bool
    created: datetime
    updated: datetime
    password: str | None = None
    groups: set[str] = field(default_factory=set)
    """Lower-case names of the groups the user is a direct member of."""
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CrowdGroup:
    """A group; `members` holds user keys, `children` lower-case names of direct child groups."""

    name: str
    description: str
    active: bool
    created: datetime
    updated: datetime
    members: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    parents: set[str] = field(default_factory=set)
    _sorted: list[str] | None = None

    def sorted_members(self, state: CrowdState) -> list[str]:
        """Member keys ordered by lower-case username (the order pages are served in), cached."""
        if self._sorted is None:
            self._sorted = sorted(self.members, key=lambda key: state.users[key].name.lower())
        return self._sorted

    def changed(self) -> None:
        """Drop the cached order after a membership change or a member's rename."""
        self._sorted = None


@dataclass
class CrowdState:
    """Everything the emulator holds; routes read and change it through these methods."""

    directory_id: int = 32769
    users: dict[str, CrowdUser] = field(default_factory=dict)
    """By key."""
    by_name: dict[str, str] = field(default_factory=dict)
    """Lower-case username → key."""
    groups: dict[str, CrowdGroup] = field(default_factory=dict)
    """Lower-case group name → group."""
    key_seed: int = 1
    next_user: int = 0
    _user_order: list[CrowdUser] | None = None

    # ---- users ----
    def user_by_name(self, name: str) -> CrowdUser | None:
        """Find a user by username, case-insensitively."""
        key = self.by_name.get(name.lower())
        return self.users[key] if key is not None else None

    def new_key(self) -> str:
        """The next user key: deterministic per seed, so a reset gives the same keys again."""
        self.next_user += 1
        digest = hashlib.sha256(f"{self.key_seed}:{self.next_user}".encode()).digest()
        value = uuid.UUID(bytes=digest[:16], version=4)
        return f"{self.directory_id}:{value}"

    def add_user(
        self,
        name: str,
        first_name: str,
        last_name: str,
        display_name: str,
        email: str,
        now: datetime,
        *,
        active: bool = True,
        password: str | None = None,
    ) -> CrowdUser:
        """Create a user with a fresh key; the caller checks the name is free."""
        user = CrowdUser(
            self.new_key(), name, first_name, last_name, display_name, email, active, now, now, password
        )
        self.users[user.key] = user
        self.by_name[name.lower()] = user.key
        self._user_order = None
        return user

    def rename_user(self, user: CrowdUser, new_name: str) -> None:
        """Change the username (case kept); the key stays."""
        del self.by_name[user.name.lower()]
        user.name = new_name
        self.by_name[new_name.lower()] = user.key
        for group_name in user.groups:
            self.groups[group_name].changed()
        self._user_order = None

    def delete_user(self, user: CrowdUser) -> None:
        """Remove a user and its memberships."""
        for group_name in user.groups:
            group = self.groups[group_name]
            group.members.discard(user.key)
            group.changed()
        del self.by_name[user.name.lower()]
        del self.users[user.key]
        self._user_order = None

    def user_order(self) -> list[CrowdUser]:
        """All users by lower-case name: the order searches return them in."""
        if self._user_order is None:
            self._user_order = sorted(self.users.values(), key=lambda u: u.name.lower())
        return self._user_order

    # ---- groups ----
    def group(self, name: str) -> CrowdGroup | None:
        """Find a group case-insensitively."""
        return self.groups.get(name.lower())

    def add_group(self, name: str, now: datetime, description: str = "", active: bool = True) -> CrowdGroup:
        """Create an empty group; the caller checks the name is free."""
        group = CrowdGroup(name, description, active, now, now)
        self.groups[name.lower()] = group
        return group

    def delete_group(self, group: CrowdGroup) -> None:
        """Remove a group, its memberships and its parent / child links."""
        lower = group.name.lower()
        for key in group.members:
            self.users[key].groups.discard(lower)
        for child in group.children:
            self.groups[child].parents.discard(lower)
        for parent in group.parents:
            self.groups[parent].children.discard(lower)
        del self.groups[lower]

    def add_member(self, group: CrowdGroup, user: CrowdUser) -> None:
        """Make `user` a direct member of `group`."""
        group.members.add(user.key)
        user.groups.add(group.name.lower())
        group.changed()

    def remove_member(self, group: CrowdGroup, user: CrowdUser) -> None:
        """End a direct membership."""
        group.members.discard(user.key)
        user.groups.discard(group.name.lower())
        group.changed()

    def add_child(self, parent: CrowdGroup, child: CrowdGroup) -> None:
        """Make `child` a direct member group of `parent`."""
        parent.children.add(child.name.lower())
        child.parents.add(parent.name.lower())

    def remove_child(self, parent: CrowdGroup, child: CrowdGroup) -> None:
        """End a group-in-group membership."""
        parent.children.discard(child.name.lower())
        child.parents.discard(parent.name.lower())

    def nested_groups(self, start: set[str], upward: bool) -> set[str]:
        """Lower-case names of every group reachable from `start` (parents or children), cycle-safe."""
        seen: set[str] = set()
        todo = list(start)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            group = self.groups[name]
            todo.extend(group.parents if upward else group.children)
        return seen

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (for `GET /_sandbox/state`)."""
        return {
            "users": [
                {
                    "key": u.key,
                    "name": u.name,
                    "first-name": u.first_name,
                    "last-name": u.last_name,
                    "display-name": u.display_name,
                    "email": u.email,
                    "active": u.active,
                    "created": u.created.isoformat(),
                    "groups": sorted(self.groups[g].name for g in u.groups),
                    "attributes": u.attributes,
                }
                for u in self.users.values()
            ],
            "groups": [
                {
                    "name": g.name,
                    "description": g.description,
                    "active": g.active,
                    "members": sorted(self.users[k].name for k in g.members),
                    "children": sorted(self.groups[c].name for c in g.children),
                }
                for g in self.groups.values()
            ],
        }
