"""The emulator's in-memory Confluence: users, groups, direct memberships and long tasks.

Usernames and group names are unique case-insensitively and stored as given (usernames lower-case,
as Confluence requires them). User keys are 32 hex digits and never change; memberships hold keys.
A user's deletion is a long task that finishes on the emulator clock: `settle(now)` completes the
tasks that are due, and every route calls it before looking at the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

KEY_PREFIX = "8a7f808a8c1b2e3d"
"""User keys look like those in Atlassian's examples: 32 lower-case hex digits."""


@dataclass
class ConfluenceUser:
    """One user of Confluence's internal directory."""

    key: str
    name: str
    display_name: str
    email: str
    active: bool
    created: datetime
    password: str | None = None
    groups: set[str] = field(default_factory=set)
    """Lower-case names of the groups the user is a direct member of."""


@dataclass
class ConfluenceGroup:
    """A group; `members` holds user keys."""

    name: str
    members: set[str] = field(default_factory=set)
    _sorted: list[str] | None = None

    def sorted_members(self, state: ConfluenceState) -> list[str]:
        """Member keys ordered by username (the order pages are served in), cached until changed."""
        if self._sorted is None:
            self._sorted = sorted(self.members, key=lambda key: state.users[key].name)
        return self._sorted

    def changed(self) -> None:
        """Drop the cached order after a membership change."""
        self._sorted = None


@dataclass
class LongTask:
    """An asynchronous user deletion, as `GET /rest/api/longtask/{id}` reports it."""

    id: str
    username: str
    submitted: datetime
    due: datetime
    fails_with: str | None = None
    """The message the task ends with when it is to fail; None: it deletes the user."""
    finished: bool = False
    successful: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass
class ConfluenceState:
    """Everything the emulator holds; routes read and change it through these methods."""

    users: dict[str, ConfluenceUser] = field(default_factory=dict)
    """By key."""
    by_name: dict[str, str] = field(default_factory=dict)
    """Lower-case username → key."""
    groups: dict[str, ConfluenceGroup] = field(default_factory=dict)
    """Lower-case group name → group."""
    tasks: dict[str, LongTask] = field(default_factory=dict)
    next_user: int = 1
    next_task: int = 1
    _by_name_order: list[ConfluenceUser] | None = None
    _group_order: list[ConfluenceGroup] | None = None

    # ---- users ----
    def user_by_name(self, name: str) -> ConfluenceUser | None:
        """Find a user by username, case-insensitively."""
        key = self.by_name.get(name.lower())
        return self.users[key] if key is not None else None

    def add_user(
        self, name: str, display_name: str, email: str, created: datetime, *, active: bool = True,
        password: str | None = None,
    ) -> ConfluenceUser:  # fmt: skip
        """Create a user with the next key; the caller checks the name is free."""
        key = f"{KEY_PREFIX}{self.next_user:016x}"
        self.next_user += 1
        user = ConfluenceUser(key, name.lower(), display_name, email, active, created, password)
        self.users[key] = user
        self.by_name[user.name] = key
        self._by_name_order = None
        return user

    def delete_user(self, user: ConfluenceUser) -> None:
        """Remove a user and its memberships."""
        for group_name in user.groups:
            group = self.groups[group_name]
            group.members.discard(user.key)
            group.changed()
        del self.by_name[user.name]
        del self.users[user.key]
        self._by_name_order = None

    def users_by_name(self) -> list[ConfluenceUser]:
        """All users ordered by username: the order `/user/list` pages are served in."""
        if self._by_name_order is None:
            self._by_name_order = sorted(self.users.values(), key=lambda u: u.name)
        return self._by_name_order

    def enabled_count(self) -> int:
        """Users holding a licence seat: the enabled ones (disabled users do not count)."""
        return sum(1 for user in self.users.values() if user.active)

    # ---- groups ----
    def group(self, name: str) -> ConfluenceGroup | None:
        """Find a group case-insensitively."""
        return self.groups.get(name.lower())

    def add_group(self, name: str) -> ConfluenceGroup:
        """Create an empty group; the caller checks the name is free."""
        group = ConfluenceGroup(name)
        self.groups[name.lower()] = group
        self._group_order = None
        return group

    def delete_group(self, group: ConfluenceGroup) -> None:
        """Remove a group and every membership in it."""
        lower = group.name.lower()
        for key in group.members:
            self.users[key].groups.discard(lower)
        del self.groups[lower]
        self._group_order = None

    def groups_by_name(self) -> list[ConfluenceGroup]:
        """All groups ordered by name (case-insensitive): the order `/group` pages are served in."""
        if self._group_order is None:
            self._group_order = sorted(self.groups.values(), key=lambda g: g.name.lower())
        return self._group_order

    def add_member(self, group: ConfluenceGroup, user: ConfluenceUser) -> None:
        """Make `user` a direct member of `group` (no-op when it is one)."""
        group.members.add(user.key)
        user.groups.add(group.name.lower())
        group.changed()

    def remove_member(self, group: ConfluenceGroup, user: ConfluenceUser) -> None:
        """End a direct membership (no-op when there is none)."""
        group.members.discard(user.key)
        user.groups.discard(group.name.lower())
        group.changed()

    # ---- long tasks ----
    def submit_delete(
        self, user: ConfluenceUser, now: datetime, seconds: float, fails_with: str | None
    ) -> LongTask:
        """Start the asynchronous deletion of `user`; it completes at `now + seconds`."""
        number = self.next_task
        self.next_task += 1
        task_id = f"{number:08x}-0000-4000-8000-{number:012x}"
        task = LongTask(task_id, user.name, now, now + timedelta(seconds=seconds), fails_with)
        self.tasks[task_id] = task
        return task

    def settle(self, now: datetime) -> None:
        """Complete every long task that is due by `now`."""
        for task in self.tasks.values():
            if task.finished or task.due > now:
                continue
            task.finished = True
            if task.fails_with is not None:
                task.messages.append(task.fails_with)
                continue
            user = self.user_by_name(task.username)
            if user is not None:
                self.delete_user(user)
            task.successful = True
            task.messages.append(f"User {task.username} has been removed.")

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (for `GET /_sandbox/state`)."""
        return {
            "users": [
                {
                    "userKey": u.key,
                    "username": u.name,
                    "displayName": u.display_name,
                    "email": u.email,
                    "active": u.active,
                    "created": u.created.isoformat(),
                    "groups": sorted(u.groups),
                }
                for u in self.users.values()
            ],
            "groups": [
                {"name": g.name, "members": sorted(self.users[k].name for k in g.members)}
                for g in self.groups.values()
            ],
            "tasks": [
                {
                    "id": t.id,
                    "username": t.username,
                    "finished": t.finished,
                    "successful": t.successful,
                    "messages": t.messages,
                }
                for t in self.tasks.values()
            ],
        }
