"""The emulator's in-memory org: users, groups, memberships, apps and assignments, with every change
going through a method that keeps timestamps, indexes and the System Log right.

Ordering: lists page in id order (Okta's user cursor is the last id), so sorted id lists are kept
next to the dicts. The BUILT_IN Everyone group's membership is implicit: every user."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from typing import Any

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.okta.errors import OktaError, not_found, validation
from idsync.sandbox.okta.model import App, AppGroup, AppUser, EventHook, Group, User, iso, login_key, okta_id
from idsync.sandbox.okta.syslog import SystemLog, app_target, group_target, user_target

EXISTS = "An object with this field already exists in the current organization"


@dataclass
class OktaState:
    """Everything the emulator knows. Mutate only through the methods (they log and bump times)."""

    clock: Clock
    rng: random.Random
    users: dict[str, User] = field(default_factory=dict)
    user_ids: list[str] = field(default_factory=list)
    logins: dict[str, str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    group_ids: list[str] = field(default_factory=list)
    members: dict[str, set[str]] = field(default_factory=dict)
    user_groups: dict[str, set[str]] = field(default_factory=dict)
    everyone_id: str = ""
    apps: dict[str, App] = field(default_factory=dict)
    app_ids: list[str] = field(default_factory=list)
    app_users: dict[str, dict[str, AppUser]] = field(default_factory=dict)
    app_groups: dict[str, dict[str, AppGroup]] = field(default_factory=dict)
    hooks: dict[str, EventHook] = field(default_factory=dict)
    log: SystemLog = field(init=False)
    _sorted_members: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log = SystemLog(self.clock)

    def now(self) -> str:
        """The emulator clock, formatted."""
        return iso(self.clock.now())

    def new_id(self, prefix: str, taken: dict[str, Any]) -> str:
        """A fresh Okta-shaped id not yet in `taken`."""
        while True:
            candidate = okta_id(prefix, self.rng)
            if candidate not in taken:
                return candidate

    # ---- lookups -------------------------------------------------------------------------------

    def find_user(self, id_or_login: str) -> User:
        """By id, login, or login shortname (the part before '@'), as GET /users/{idOrLogin} does."""
        user = self.users.get(id_or_login)
        if user is None:
            uid = self.logins.get(login_key(id_or_login))
            if uid is None and "@" not in id_or_login:
                uid = self.logins.get(login_key(id_or_login) + "@example.com")
            user = self.users.get(uid) if uid else None
        if user is None:
            raise not_found(id_or_login, "User")
        return user

    def find_group(self, group_id: str) -> Group:
        """A group by id, or 404 E0000007."""
        group = self.groups.get(group_id)
        if group is None:
            raise not_found(group_id, "UserGroup")
        return group

    def find_app(self, app_id: str) -> App:
        """An app by id, or 404 E0000007."""
        app = self.apps.get(app_id)
        if app is None:
            raise not_found(app_id, "AppInstance")
        return app

    def member_ids(self, group_id: str) -> list[str]:
        """A group's members in id order (cached until the membership changes)."""
        if group_id == self.everyone_id:
            return self.user_ids
        cached = self._sorted_members.get(group_id)
        if cached is None:
            cached = sorted(self.members.get(group_id, ()))
            self._sorted_members[group_id] = cached
        return cached

    def groups_of(self, user_id: str) -> list[str]:
        """A user's group ids in id order, Everyone included."""
        ids = set(self.user_groups.get(user_id, ()))
        if self.everyone_id:
            ids.add(self.everyone_id)
        return sorted(ids)

    def app_user_scopes(self, app_id: str) -> dict[str, str]:
        """user id → "USER" (direct) or "GROUP" (only through an assigned group) for one app."""
        scopes: dict[str, str] = {}
        for group_id in self.app_groups.get(app_id, {}):
            for user_id in self.member_ids(group_id):
                scopes[user_id] = "GROUP"
        for user_id in self.app_users.get(app_id, {}):
            scopes[user_id] = "USER"
        return scopes

    # ---- users ---------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        """Index a user (used by the generator and by create)."""
        self.users[user.id] = user
        self.logins[login_key(user.profile["login"])] = user.id
        bisect.insort(self.user_ids, user.id)

    def create_user(
        self, profile: dict[str, Any], status: str, has_password: bool, group_ids: list[str]
    ) -> User:
        """POST /users: uniqueness of login, then log create (and activate when not STAGED)."""
        key = login_key(profile["login"])
        if key in self.logins:
            raise validation("login", EXISTS)
        for group_id in group_ids:
            group = self.groups.get(group_id)
            if group is None or group.type != "OKTA_GROUP":
                raise validation("groupIds", f"{group_id!r} is not the id of an OKTA_GROUP")
        now = self.now()
        active = status != "STAGED"
        user = User(
            self.new_id("00u", self.users),
            status,
            now,
            now,
            dict(profile),
            activated=now if active else None,
            status_changed=now if active else None,
            password_changed=now if has_password else None,
            has_password=has_password,
        )
        self.add_user(user)
        self._touch_membership(self.everyone_id, now)
        self.log.emit("user.lifecycle.create", [user_target(user)])
        if active:
            self.log.emit("user.lifecycle.activate", [user_target(user)])
        for group_id in group_ids:
            self.add_member(group_id, user.id)
        return user

    def update_profile(self, user: User, profile: dict[str, Any], has_password: bool | None = None) -> None:
        """Replace a user's profile (callers merge for partial updates); logs update_profile."""
        key = login_key(profile["login"])
        owner = self.logins.get(key)
        if owner is not None and owner != user.id:
            raise validation("login", EXISTS)
        del self.logins[login_key(user.profile["login"])]
        self.logins[key] = user.id
        user.profile = profile
        now = self.now()
        if has_password:
            user.has_password = True
            user.password_changed = now
        user.last_updated = now
        self.log.emit("user.account.update_profile", [user_target(user)])

    def set_status(self, user: User, status: str, event_type: str | None) -> None:
        """A lifecycle transition the caller has already allowed."""
        now = self.now()
        if status != user.status:
            user.status = status
            user.status_changed = now
        if status in ("ACTIVE", "PROVISIONED") and user.activated is None:
            user.activated = now
        user.last_updated = now
        if event_type:
            self.log.emit(event_type, [user_target(user)])

    def delete_user(self, user: User) -> None:
        """Hard delete of a DEPROVISIONED user: memberships and app assignments go too."""
        now = self.now()
        self.log.emit("user.lifecycle.delete.initiated", [user_target(user)])
        for group_id in list(self.user_groups.get(user.id, ())):
            self.members[group_id].discard(user.id)
            self._touch_membership(group_id, now)
        self.user_groups.pop(user.id, None)
        for assignments in self.app_users.values():
            assignments.pop(user.id, None)
        del self.users[user.id]
        del self.logins[login_key(user.profile["login"])]
        self.user_ids.pop(bisect.bisect_left(self.user_ids, user.id))
        self._touch_membership(self.everyone_id, now)
        self.log.emit("user.lifecycle.delete.completed", [user_target(user)])

    # ---- groups --------------------------------------------------------------------------------

    def add_group(self, group: Group) -> None:
        """Index a group (used by the generator and by create)."""
        self.groups[group.id] = group
        self.members.setdefault(group.id, set())
        bisect.insort(self.group_ids, group.id)

    def check_group_name(self, name: str, group_id: str | None) -> None:
        """Group names are unique in an org."""
        folded = name.casefold()
        for other in self.groups.values():
            if other.id != group_id and str(other.profile.get("name", "")).casefold() == folded:
                raise validation("name", EXISTS)

    def create_group(self, profile: dict[str, Any]) -> Group:
        """POST /groups: always an OKTA_GROUP."""
        self.check_group_name(profile["name"], None)
        now = self.now()
        group = Group(self.new_id("00g", self.groups), "OKTA_GROUP", now, now, now, dict(profile))
        self.add_group(group)
        self.log.emit("group.lifecycle.create", [group_target(group)])
        return group

    def replace_group(self, group: Group, profile: dict[str, Any]) -> None:
        """PUT /groups/{id}: full profile replace."""
        self.check_group_name(profile["name"], group.id)
        group.profile = dict(profile)
        group.last_updated = self.now()
        self.log.emit("group.profile.update", [group_target(group)])

    def delete_group(self, group: Group) -> None:
        """DELETE /groups/{id}: memberships and app assignments go too."""
        for user_id in self.members.pop(group.id, set()):
            self.user_groups[user_id].discard(group.id)
        self._sorted_members.pop(group.id, None)
        for assignments in self.app_groups.values():
            assignments.pop(group.id, None)
        del self.groups[group.id]
        self.group_ids.pop(bisect.bisect_left(self.group_ids, group.id))
        self.log.emit("group.lifecycle.delete", [group_target(group)])

    def add_member(self, group_id: str, user_id: str) -> bool:
        """Add a membership; True when it is new. Bumps the group's lastMembershipUpdated only
        (Okta does not document whether the user's lastUpdated changes too; here it does not)."""
        members = self.members.setdefault(group_id, set())
        if user_id in members:
            return False
        members.add(user_id)
        self.user_groups.setdefault(user_id, set()).add(group_id)
        self._touch_membership(group_id, self.now())
        self.log.emit(
            "group.user_membership.add",
            [user_target(self.users[user_id]), group_target(self.groups[group_id])],
        )
        return True

    def remove_member(self, group_id: str, user_id: str) -> bool:
        """Remove a membership; True when there was one."""
        members = self.members.get(group_id, set())
        if user_id not in members:
            return False
        members.discard(user_id)
        self.user_groups[user_id].discard(group_id)
        self._touch_membership(group_id, self.now())
        self.log.emit(
            "group.user_membership.remove",
            [user_target(self.users[user_id]), group_target(self.groups[group_id])],
        )
        return True

    def _touch_membership(self, group_id: str, now: str) -> None:
        self._sorted_members.pop(group_id, None)
        group = self.groups.get(group_id)
        if group is not None:
            group.last_membership_updated = now

    # ---- apps ----------------------------------------------------------------------------------

    def add_app(self, app: App) -> None:
        """Index an app (generator)."""
        self.apps[app.id] = app
        self.app_users.setdefault(app.id, {})
        self.app_groups.setdefault(app.id, {})
        bisect.insort(self.app_ids, app.id)

    def assign_user(self, app: App, user: User, user_name: str, profile: dict[str, Any]) -> AppUser:
        """POST /apps/{id}/users: a direct assignment (replaces an existing one's name/profile)."""
        now = self.now()
        existing = self.app_users[app.id].get(user.id)
        assignment = AppUser(user.id, existing.created if existing else now, now, user_name, profile)
        self.app_users[app.id][user.id] = assignment
        if existing is None:
            self.log.emit("application.user_membership.add", [user_target(user), app_target(app)])
        return assignment

    def unassign_user(self, app: App, user: User) -> None:
        """DELETE /apps/{id}/users/{uid}."""
        if self.app_users[app.id].pop(user.id, None) is None:
            raise not_found(user.id, "AppUser")
        self.log.emit("application.user_membership.remove", [user_target(user), app_target(app)])

    def assign_group(self, app: App, group: Group, priority: int) -> AppGroup:
        """PUT /apps/{id}/groups/{gid}."""
        existing = self.app_groups[app.id].get(group.id)
        assignment = AppGroup(group.id, self.now(), priority)
        self.app_groups[app.id][group.id] = assignment
        if existing is None:
            self.log.emit("group.application_assignment.add", [app_target(app), group_target(group)])
        return assignment

    def unassign_group(self, app: App, group: Group) -> None:
        """DELETE /apps/{id}/groups/{gid}."""
        if self.app_groups[app.id].pop(group.id, None) is None:
            raise OktaError(404, "E0000007", f"Not found: Resource not found: {group.id} (AppGroup)")
        self.log.emit("group.application_assignment.remove", [app_target(app), group_target(group)])
