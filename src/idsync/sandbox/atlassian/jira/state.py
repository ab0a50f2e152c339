"""The emulator's in-memory Jira: users, groups, memberships, projects, components, user properties.

Indices keep every lookup O(1): usernames and group names are unique case-insensitively (Jira stores
usernames lower-case); user keys (JIRAUSER10000…) never change, so memberships and leads hold keys
and survive renames. Sorted views for paging are cached and dropped on writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idsync.sandbox.atlassian.jira.licences import ApplicationRole


def user_id(key: str) -> int:
    """The number in a JIRAUSER key (keys are always JIRAUSER<n> in this emulator)."""
    return int(key[8:])


@dataclass
class JiraUser:
    """One user of Jira's internal directory."""

    key: str
    name: str
    """Username, stored lower-case (mutable by rename)."""
    display_name: str
    email: str
    active: bool
    created: datetime
    password: str | None = None
    time_zone: str = "Europe/Berlin"
    locale: str = "en_US"
    last_login: datetime | None = None
    groups: set[str] = field(default_factory=set)
    """Lower-case names of the groups the user is a direct member of."""
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class JiraGroup:
    """A group; `members` holds user keys."""

    name: str
    members: set[str] = field(default_factory=set)
    _sorted: list[str] | None = None
    _sorted_active: list[str] | None = None

    def sorted_members(self, state: JiraState, include_inactive: bool = True) -> list[str]:
        """Member keys ordered by username (the order pages are served in), cached until changed."""
        if self._sorted is None:
            self._sorted = sorted(self.members, key=lambda key: state.users[key].name)
        if include_inactive:
            return self._sorted
        if self._sorted_active is None:
            self._sorted_active = [k for k in self._sorted if state.users[k].active]
        return self._sorted_active

    def changed(self) -> None:
        """Drop the cached orders after a membership change, or a member's rename or (de)activation."""
        self._sorted = None
        self._sorted_active = None


@dataclass
class Project:
    """A Jira project with its lead (a user key)."""

    id: int
    key: str
    name: str
    lead: str
    description: str = ""
    project_type_key: str = "software"
    assignee_type: str = "UNASSIGNED"
    url: str = ""


@dataclass
class Component:
    """A project component; `lead` is a user key or None."""

    id: int
    name: str
    project_key: str
    lead: str | None
    description: str = ""
    assignee_type: str = "PROJECT_DEFAULT"


@dataclass
class ServiceDesk:
    """A Jira Service Management service desk on a project; `customers` holds user keys."""

    id: int
    project_key: str
    customers: set[str] = field(default_factory=set)


@dataclass
class JiraState:
    """Everything the emulator holds; routes read and change it through these methods."""

    users: dict[str, JiraUser] = field(default_factory=dict)
    """By key."""
    by_name: dict[str, str] = field(default_factory=dict)
    """Lower-case username → key."""
    groups: dict[str, JiraGroup] = field(default_factory=dict)
    """Lower-case group name → group."""
    projects: dict[str, Project] = field(default_factory=dict)
    """By project key."""
    components: dict[int, Component] = field(default_factory=dict)
    service_desks: dict[int, ServiceDesk] = field(default_factory=dict)
    """By serviceDeskId."""
    roles: dict[str, ApplicationRole] = field(default_factory=dict)
    """Application roles by key, with their seats (see licences.py)."""
    next_user_id: int = 10000
    next_project_id: int = 10000
    next_component_id: int = 10000
    _search_order: list[JiraUser] | None = None
    _id_order: list[int] | None = None

    # ---- users ----
    def user_by_name(self, name: str) -> JiraUser | None:
        """Find a user by username, case-insensitively."""
        key = self.by_name.get(name.lower())
        return self.users[key] if key is not None else None

    def add_user(
        self,
        name: str,
        display_name: str,
        email: str,
        created: datetime,
        *,
        active: bool = True,
        password: str | None = None,
    ) -> JiraUser:
        """Create a user with the next JIRAUSER key; the caller checks the name is free."""
        key = f"JIRAUSER{self.next_user_id}"
        self.next_user_id += 1
        user = JiraUser(key, name.lower(), display_name, email, active, created, password)
        self.users[key] = user
        self.by_name[user.name] = key
        self.users_changed()
        return user

    def rename_user(self, user: JiraUser, new_name: str) -> None:
        """Change the username (stored lower-case); the key stays."""
        del self.by_name[user.name]
        user.name = new_name.lower()
        self.by_name[user.name] = user.key
        for group_name in user.groups:
            self.groups[group_name].changed()
        self.users_changed()

    def delete_user(self, user: JiraUser) -> None:
        """Remove a user and its references (memberships, component leads)."""
        for group_name in user.groups:
            group = self.groups[group_name]
            group.members.discard(user.key)
            group.changed()
        for component in self.components.values():
            if component.lead == user.key:
                component.lead = None
        for desk in self.service_desks.values():
            desk.customers.discard(user.key)
        del self.by_name[user.name]
        del self.users[user.key]
        self.users_changed()

    def set_active(self, user: JiraUser, active: bool) -> None:
        """Activate or deactivate a user (the groups' active-member views change with it)."""
        if user.active != active:
            user.active = active
            for group_name in user.groups:
                self.groups[group_name].changed()

    def users_changed(self) -> None:
        """Drop cached orders after any change that can move a user in them."""
        self._search_order = None
        self._id_order = None

    def search_order(self) -> list[JiraUser]:
        """All users in `/user/search` order: display name, then username (case-insensitive)."""
        if self._search_order is None:
            self._search_order = sorted(self.users.values(), key=lambda u: (u.display_name.lower(), u.name))
        return self._search_order

    def id_order(self) -> list[int]:
        """All numeric user ids ascending: the stable order `/user/list` cursors walk."""
        if self._id_order is None:
            self._id_order = sorted(user_id(k) for k in self.users)
        return self._id_order

    # ---- groups ----
    def group(self, name: str) -> JiraGroup | None:
        """Find a group case-insensitively."""
        return self.groups.get(name.lower())

    def add_group(self, name: str) -> JiraGroup:
        """Create an empty group; the caller checks the name is free."""
        group = JiraGroup(name)
        self.groups[name.lower()] = group
        return group

    def delete_group(self, group: JiraGroup) -> None:
        """Remove a group and every membership in it."""
        lower = group.name.lower()
        for key in group.members:
            self.users[key].groups.discard(lower)
        del self.groups[lower]

    def add_member(self, group: JiraGroup, user: JiraUser) -> None:
        """Make `user` a direct member of `group`."""
        group.members.add(user.key)
        user.groups.add(group.name.lower())
        group.changed()

    def remove_member(self, group: JiraGroup, user: JiraUser) -> None:
        """End a direct membership."""
        group.members.discard(user.key)
        user.groups.discard(group.name.lower())
        group.changed()

    # ---- projects ----
    def projects_led_by(self, key: str) -> list[Project]:
        """Projects whose lead is this user."""
        return [p for p in self.projects.values() if p.lead == key]

    def components_led_by(self, key: str) -> list[Component]:
        """Components whose lead is this user."""
        return [c for c in self.components.values() if c.lead == key]

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (for `GET /_sandbox/state`)."""
        return {
            "users": [
                {
                    "key": u.key,
                    "name": u.name,
                    "displayName": u.display_name,
                    "emailAddress": u.email,
                    "active": u.active,
                    "created": u.created.isoformat(),
                    "groups": sorted(u.groups),
                    "properties": u.properties,
                }
                for u in self.users.values()
            ],
            "groups": [
                {"name": g.name, "members": sorted(self.users[k].name for k in g.members)}
                for g in self.groups.values()
            ],
            "projects": [
                {
                    "id": p.id,
                    "key": p.key,
                    "name": p.name,
                    "lead": self.users[p.lead].name,
                    "assigneeType": p.assignee_type,
                }
                for p in self.projects.values()
            ],
            "components": [
                {
                    "id": c.id,
                    "name": c.name,
                    "project": c.project_key,
                    "lead": self.users[c.lead].name if c.lead else None,
                }
                for c in self.components.values()
            ],
            "serviceDesks": [
                {"id": d.id, "projectKey": d.project_key,
                 "customers": sorted(self.users[k].name for k in d.customers)}
                for d in self.service_desks.values()
            ],
        }
