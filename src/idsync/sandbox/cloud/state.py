"""The data of one emulated SCIM directory, indexed for what clients ask: a user by id, by userName
(case-insensitive, RFC 7643 caseExact:false) and by externalId (case-exact); a group by id and by
displayName; the groups of a user and the members of a group as sets. No request scans the directory,
so 10,000 users in 1,000 groups with 200,000 memberships answer as fast as ten.

Besides the SCIM records the directory keeps the Atlassian accounts they are linked to, keyed by
e-mail: a DELETE ends the SCIM record but only deactivates the account, and a later POST with the
same e-mail links that account again (same atlassianAccountId), as the Atlassian documentation says.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from scim2_models import Context

from idsync.sandbox.cloud.models import POLICY, CloudUser


@dataclass(frozen=True)
class UserRecord:
    """A SCIM user: the resource as the client last wrote it (without id, meta and groups, which
    the directory owns), the account it is linked to and its timestamps."""

    id: str
    resource: CloudUser
    account_id: str
    created: datetime
    modified: datetime

    @cached_property
    def document(self) -> dict[str, Any]:
        """The stored attributes as SCIM JSON, dumped once per version of the record (dumping is
        the dominant cost of a listing). Callers copy it, never change it."""
        dumped = self.resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, scim_policy=POLICY)
        for key in ("schemas", "id", "meta"):
            dumped.pop(key, None)
        return dumped

    @property
    def user_name(self) -> str:
        """The userName (always set: the model requires it)."""
        return str(self.resource.user_name)

    @property
    def active(self) -> bool:
        """Whether the user is active (a user created without `active` is)."""
        return self.resource.active is not False

    @property
    def display(self) -> str:
        """What a group member's `display` shows: the display name, else the userName."""
        return self.resource.display_name or self.user_name


@dataclass(frozen=True)
class Account:
    """An Atlassian account of the organization (a managed account on a verified domain)."""

    account_id: str
    email: str
    active: bool


@dataclass
class GroupRecord:
    """A SCIM group. Mutable on purpose: membership changes of a 35,000-member group touch the member
    set in place instead of copying it."""

    id: str
    display_name: str
    external_id: str | None
    created: datetime
    modified: datetime
    members: dict[str, None] = field(default_factory=dict)
    """Member user ids in the order they were added (a dict used as an ordered set)."""


class CloudState:
    """Users, groups, accounts and their indexes. Every change goes through a method here, so the
    indexes never disagree with the records."""

    def __init__(self, seed: int, org_groups: tuple[str, ...]) -> None:
        self.random = random.Random(seed ^ 0x5C1)
        self.users: dict[str, UserRecord] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.accounts: dict[str, Account] = {}
        """By e-mail, case-folded."""
        self.org_groups: dict[str, str] = {name.casefold(): name for name in org_groups}
        """Organization groups that are not SCIM groups but reserve their names: folded → name."""
        self._by_name: dict[str, str] = {}
        self._by_external: dict[str, dict[str, None]] = {}
        self._group_by_name: dict[str, str] = {}
        self._groups_of: dict[str, dict[str, None]] = {}
        self._account_key: dict[str, str] = {}
        self._user_of_account: dict[str, str] = {}
        """Account id → its key in `accounts`."""

    def new_id(self) -> str:
        """A fresh resource id (a UUID, deterministic per seed)."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def new_account_id(self) -> str:
        """A fresh Atlassian account id (24 hex digits, the classic form)."""
        return f"{self.random.getrandbits(96):024x}"

    # users

    def user_id_by_name(self, user_name: str) -> str | None:
        """The id of the user with this userName (any case), if any."""
        return self._by_name.get(user_name.casefold())

    def user_ids_by_external_id(self, external_id: str) -> list[str]:
        """The ids of the users with exactly this externalId (clients may reuse one)."""
        return list(self._by_external.get(external_id, ()))

    def put_user(self, record: UserRecord) -> None:
        """Insert or replace a user, keeping the indexes in step."""
        old = self.users.get(record.id)
        if old is not None:
            self._unindex(old)
        self.users[record.id] = record
        self._by_name[record.user_name.casefold()] = record.id
        if record.resource.external_id is not None:
            self._by_external.setdefault(record.resource.external_id, {})[record.id] = None
        self._groups_of.setdefault(record.id, {})
        self._user_of_account[record.account_id] = record.id

    def remove_user(self, user_id: str) -> UserRecord:
        """Take a user out of the directory and of every group."""
        record = self.users.pop(user_id)
        self._unindex(record)
        for group_id in self._groups_of.pop(user_id, {}):
            self.groups[group_id].members.pop(user_id, None)
        return record

    def _unindex(self, record: UserRecord) -> None:
        if self._user_of_account.get(record.account_id) == record.id:
            del self._user_of_account[record.account_id]
        self._by_name.pop(record.user_name.casefold(), None)
        external = record.resource.external_id
        if external is not None:
            ids = self._by_external.get(external, {})
            ids.pop(record.id, None)
            if not ids:
                self._by_external.pop(external, None)

    def groups_of(self, user_id: str) -> list[GroupRecord]:
        """The groups a user is a direct member of."""
        return [self.groups[g] for g in self._groups_of.get(user_id, ())]

    # accounts

    def account(self, email: str) -> Account | None:
        """The organization's account for this e-mail, if any."""
        return self.accounts.get(email.casefold())

    def link_account(self, email: str, active: bool) -> Account:
        """The account for `email`, created when there is none, with its status set to `active`."""
        found = self.accounts.get(email.casefold())
        account = Account(found.account_id if found else self.new_account_id(), email, active)
        self.accounts[email.casefold()] = account
        self._account_key[account.account_id] = email.casefold()
        return account

    def user_of_account(self, account_id: str) -> str | None:
        """The id of the SCIM user linked to this account, if any."""
        return self._user_of_account.get(account_id)

    def move_account(self, account_id: str, email: str) -> None:
        """Key an account by a user's new primary e-mail (the account follows its SCIM user)."""
        key = self._account_key.get(account_id)
        if key is None or key == email.casefold():
            return
        account = self.accounts.pop(key)
        self.accounts[email.casefold()] = replace(account, email=email)
        self._account_key[account_id] = email.casefold()

    def set_account_active(self, account_id: str, active: bool) -> None:
        """Activate or deactivate the account with this id."""
        key = self._account_key.get(account_id)
        if key is not None:
            self.accounts[key] = replace(self.accounts[key], active=active)

    # groups

    def group_id_by_name(self, display_name: str) -> str | None:
        """The id of the SCIM group with this displayName (any case), if any."""
        return self._group_by_name.get(display_name.casefold())

    def add_group(self, group: GroupRecord) -> None:
        """Insert a new group (its members must be users of the directory)."""
        self.groups[group.id] = group
        self._group_by_name[group.display_name.casefold()] = group.id
        for user_id in group.members:
            self._groups_of[user_id][group.id] = None

    def remove_group(self, group_id: str) -> None:
        """Delete a group and its memberships."""
        group = self.groups.pop(group_id)
        self._group_by_name.pop(group.display_name.casefold(), None)
        for user_id in group.members:
            self._groups_of[user_id].pop(group_id, None)

    def add_member(self, group: GroupRecord, user_id: str) -> None:
        """Make a user a member (no change when already one)."""
        group.members[user_id] = None
        self._groups_of[user_id][group.id] = None

    def remove_member(self, group: GroupRecord, user_id: str) -> None:
        """End a membership (no change when there is none)."""
        group.members.pop(user_id, None)
        if user_id in self._groups_of:
            self._groups_of[user_id].pop(group.id, None)

    def dump(self) -> dict[str, Any]:
        """What `GET /_sandbox/state` shows."""
        return {
            "users": [
                {"id": u.id, "userName": u.user_name, "externalId": u.resource.external_id,
                 "active": u.active, "atlassianAccountId": u.account_id,
                 "groups": [g.display_name for g in self.groups_of(u.id)]}
                for u in self.users.values()
            ],
            "groups": [
                {"id": g.id, "displayName": g.display_name, "externalId": g.external_id,
                 "members": len(g.members)}
                for g in self.groups.values()
            ],
            "accounts": [
                {"accountId": a.account_id, "email": a.email, "active": a.active}
                for a in self.accounts.values()
            ],
            "orgGroups": sorted(self.org_groups.values()),
        }  # fmt: skip
