"""Typed records passed between the stages.

A source produces a `Snapshot` (immutable ids, raw attributes, memberships by id). The rules turn it
into a `DesiredState` (target usernames, fields, group names, each decision with its reason). A
target reports a `TargetState` (only what the diff needs). `Link` rows tie a source id to a target
user across renames. All records are frozen: stages never mutate each other's data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

AttrValue: TypeAlias = str | bool | int | float | list[str] | None
"""A raw source attribute value: Okta profile values, LDAP values (lists when multi-valued), SCIM values."""


# --- what a source reads -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceUser:
    """One person as the source knows them.

    `id` is the source's immutable id (Okta user id, LDAP entryUUID/objectGUID, SCIM id): links are
    keyed by it so a renamed user stays one user. `status` is the source's own word (Okta status;
    "ACTIVE"/"DISABLED" for LDAP; "ACTIVE"/"INACTIVE" for SCIM); the rules map it to active/inactive.
    `attributes` holds the raw profile under the source's attribute names (login, email, firstName …).
    """

    id: str
    status: str
    attributes: Mapping[str, AttrValue]

    def attr(self, name: str) -> AttrValue:
        """The attribute's value, or None when the source did not send it."""
        return self.attributes.get(name)


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """One group as the source knows it, with its members as source user ids."""

    id: str
    name: str
    member_ids: frozenset[str]
    attributes: Mapping[str, AttrValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A complete read of a source. A source returns one only when every page was read."""

    source: str
    users: Mapping[str, SourceUser]
    groups: Mapping[str, SourceGroup]
    read_at: datetime
    scope: str = "all"
    """How the source was scoped (e.g. "app 0oa1abcd"), for the plan header and history."""
    single_user: str | None = None
    """Set for a single-user read (single-user sync): only this source id is in scope; nobody else
    may change."""


# --- what the rules want -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an item or a decision exists: the rule that made it and the source fact behind it."""

    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DesiredUser:
    """A target user as the rules want it."""

    source_id: str
    username: str
    email: str | None
    display_name: str | None
    active: bool
    properties: Mapping[str, str]
    """Custom attributes (`users.custom_attributes`), written as Jira user properties or SCIM
    extension attributes."""
    groups: Mapping[str, Reason]
    """Target group name → why the user belongs to it (mapped source group or default group)."""
    reason: Reason
    """Why the user is in scope at all."""


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    """A target group whose memberships idsync manages."""

    name: str
    create: bool
    """Create the group when the target lacks it (`groups.create_missing`)."""
    reason: Reason
    source_id: str | None = None
    """The source group this target group is made from, when exactly one maps to it (mode
    on_the_fly). Targets with `Capabilities.group_sources` store it on the group (SCIM `externalId`),
    so a group renamed in the source is found under its old name and renamed (or replaced)."""


@dataclass(frozen=True, slots=True)
class Dispute:
    """Two or more source users would become the same target user (by username or by claim): none of
    them is applied."""

    username: str
    source_ids: tuple[str, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class GroupRule:
    """Which target group names the profile's group rules manage, told from the name alone (no source
    read): what a single-user run needs to remove the person from a managed group they left, which
    its snapshot does not hold. Built by `idsync.rules.groups`; protected groups are never managed."""

    names: frozenset[str] = frozenset()
    """Case-folded target groups managed by name: mapping targets (mode manual), all_users defaults."""
    by_pattern: bool = False
    """Mode on_the_fly without a rename: a name passing `include` / `exclude` is managed (the source
    group of that name would map to it)."""
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    protected: frozenset[str] = frozenset()
    """Case-folded safety.protected_groups."""

    def manages(self, name: str) -> bool:
        """Whether the rules manage the target group `name` (compared case-insensitively, as the
        Atlassian products do; the patterns match the name as the target spells it)."""
        folded = name.casefold()
        if folded in self.protected:
            return False
        if folded in self.names:
            return True
        if not self.by_pattern:
            return False
        if self.include and not any(p.search(name) for p in self.include):
            return False
        return not any(p.search(name) for p in self.exclude)


@dataclass(frozen=True, slots=True)
class DesiredState:
    """The rules' verdict for one profile: everything the diff compares against the target."""

    users: Mapping[str, DesiredUser]
    """Keyed by source id."""
    groups: Mapping[str, DesiredGroup]
    """Managed target groups, keyed by name."""
    new_user_groups: Mapping[str, Reason] = field(default_factory=dict)
    new_user_groups_by_target: Mapping[str, Mapping[str, Reason]] = field(default_factory=dict)
    """Targets whose new users get other default groups than `new_user_groups`."""
    """Default groups given once, when a user is created (`groups.default_groups.new_users`)."""
    disputes: tuple[Dispute, ...] = ()
    out_of_scope: int = 0
    """Source users the scope rules left out (for the plan header)."""
    single_user: str | None = None
    """Copied from the snapshot: in a single-user run nothing but this source id may change."""
    skipped: Mapping[str, str] = field(default_factory=dict)
    """Source id → why the rules left an in-scope user out (e.g. no username attribute). These users
    are still in the source: the diff never treats them as gone."""
    notes: tuple[str, ...] = ()
    """Decisions a reviewer should see that are not items (protected groups left out, skipped users)."""
    group_rule: GroupRule = GroupRule()
    """The group rules in compiled form, for target groups the snapshot does not name (single-user)."""
    fingerprints: dict[str, tuple[DesiredUser, bool, bool, str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """A memo of `idsync.engine.links.fingerprint_in`: source id → (the user, the profile's
    users.update and users.sync_status, the fingerprint). The query, the diff and the absence records
    each need every person's fingerprint; at 150,000 people computing it once instead of three times
    saves about a second a run. Not part of the state: never compared, never shown."""


# --- what a target holds -------------------------------------------------------------------------


_WHITESPACE = re.compile(r"\s")
r"""Any whitespace: for a str pattern, `\s` is exactly the characters `str.isspace` accepts (all 29 of
them). Searched in C: with the username's character set below, checking the 131,894 people an initial
sync of 150,000 creates takes 0.16 s, where generators over their characters took 0.35 s."""


@dataclass(frozen=True, slots=True)
class UserRequirements:
    """What a target refuses to create a user without, so the plan can show such a person as not
    syncable instead of sending a request that must fail (Jira: an e-mail address and a full name,
    at most 255 characters each, no '<', '>' or '&' in the username)."""

    email: bool = False
    display_name: bool = False
    max_length: int | None = None
    forbidden_in_username: str = ""

    def problems(self, username: str | None, email: str | None, display_name: str | None,
                 *, creating: bool) -> list[str]:
        """Why the target would refuse these values (empty: it accepts them). For an update, only
        the values that will be written (not None) are checked."""
        found: list[str] = []
        if username is not None:
            # the username's set of characters, made in C, not a loop over its characters in Python
            bad = sorted(set(username).intersection(self.forbidden_in_username))
            if bad:
                found.append(f"username {username!r} contains {', '.join(repr(c) for c in bad)}, which the "
                             "target does not allow")
            if self.max_length is not None and len(username) > self.max_length:
                found.append(f"username is longer than {self.max_length} characters")
        if email is None or not email.strip():
            if creating and self.email:
                found.append("no e-mail address (the target requires one: check users.attributes.email "
                             "and the source's value)")
        elif "@" not in email.strip("@") or _WHITESPACE.search(email):
            found.append(f"e-mail {email!r} is not an address")
        elif self.max_length is not None and len(email) > self.max_length:
            found.append(f"e-mail is longer than {self.max_length} characters")
        if display_name is None or not display_name.strip():
            if creating and self.display_name:
                found.append("no display name (the target requires one: check users.attributes.display_name)")
        elif self.max_length is not None and len(display_name) > self.max_length:
            found.append(f"display name is longer than {self.max_length} characters")
        return found


@dataclass(frozen=True, slots=True)
class Unsyncable:
    """A person in scope whom the target cannot accept as the rules make them (e.g. no e-mail for a
    target that requires one): shown in the plan with the reason, never sent."""

    target: str
    source_id: str
    username: str
    detail: str


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a target supports, so the diff plans only what can be done (e.g. Bitbucket has no
    deactivate, only Jira has project/component leads)."""

    user_properties: bool = False
    """Custom attributes have somewhere to go (Jira user properties, Crowd user attributes)."""
    deactivate: bool = True
    delete: bool = True
    rename: bool = True
    leads: bool = False
    case_sensitive_names: bool = False
    """Usernames and group names compare exactly (else case-insensitively, as every Atlassian product
    does); the target then reports group members as they are spelt, not lower-cased."""
    requirements: UserRequirements = UserRequirements()
    """What the target requires of a user it creates (checked in the diff, before anything is sent)."""
    licence_groups: bool = False
    """Deactivation is licence removal: the target has no deactivate, a licence comes from membership
    of licence-granting groups (Bitbucket), and the target reports those per user in
    `TargetUser.licence_groups`. The diff plans REVOKE_LICENCE / RESTORE_LICENCE items instead."""
    user_groups: bool = False
    """The target reports a user's groups in one read (`StateQuery.member_of` → `TargetUser.groups`),
    so a single-user run can see a managed group the person left in the source."""
    group_sources: bool = False
    """The target stores the source group id on the groups idsync creates (SCIM `externalId`) and
    reports it (`StateQuery.group_sources` → `TargetState.group_sources`): a group renamed in the
    source is then renamed in the target, or, where `group_rename` is false, replaced (create the new
    group, move the members, delete the old one)."""
    group_rename: bool = True
    """A group can be renamed in place (generic SCIM: PATCH displayName). Atlassian Cloud cannot."""
    max_users: int | None = None
    """The most users the target accepts (Atlassian Cloud: 150,000 per directory); the guard refuses a
    plan that would exceed it. The target reports its current count in `TargetState.user_count`."""
    max_group_members: int | None = None
    """The most members one group may have (Atlassian Cloud: 35,000 synced users per group)."""
    licence_seats: bool = False
    """The target can report its licence seats (`StateQuery.seats` → `TargetState.seats`): the plan
    counts the seats its items take and the guards refuse (or hold back) what does not fit."""
    group_existence: bool = False
    """The target can tell whether a group exists without reading its members (Jira: one member page
    of size 1), so `StateQuery.groups_exist` may name groups (see there)."""


@dataclass(frozen=True, slots=True)
class TargetUser:
    """A user as the target holds it. `key` is the target's immutable id (Jira user key)."""

    key: str
    username: str
    email: str | None
    display_name: str | None
    active: bool
    properties: Mapping[str, str | None] = field(default_factory=dict)
    """Values of the custom-attribute keys idsync manages (None: not set)."""
    licence_groups: frozenset[str] = frozenset()
    """For targets with `Capabilities.licence_groups`: the licence-granting groups the user is a
    direct member of (and `active` is whether the user holds a licence at all)."""
    groups: frozenset[str] | None = None
    """Names of the groups the user is a direct member of, read only for users in
    `StateQuery.member_of` (None: not read)."""
    seats: frozenset[str] | None = None
    """For a `StateQuery.seats` read: the licences (`SeatPool.key`) the user's groups give, which take
    a seat while the user is active (None: not known)."""


@dataclass(frozen=True, slots=True)
class LeadRole:
    """A Jira project lead or component lead, which must be handed over before deactivation (`leads`)."""

    kind: str
    """"project" or "component"."""
    id: str
    """Project key or component id."""
    name: str
    lead: str
    """The lead's username."""


@dataclass(frozen=True, slots=True)
class StateQuery:
    """What the diff needs a target to read, computed (purely) from the desired state and the links."""

    user_keys: frozenset[str] = frozenset()
    """Linked users to fetch by immutable key (their desired fields changed, or they left scope)."""
    usernames: frozenset[str] = frozenset()
    """Usernames to look up: unlinked desired users (claim or create) and renames' new names."""
    emails: frozenset[str] = frozenset()
    """Emails to look up when claiming by email (`users.match_existing_by: email`)."""
    groups: frozenset[str] = frozenset()
    """Groups whose existence and members to read."""
    property_keys: frozenset[str] = frozenset()
    leads: bool = False
    member_of: frozenset[str] = frozenset()
    """Usernames whose current groups the target must report (`TargetUser.groups`; targets with
    `Capabilities.user_groups` only): the user of a single-user run."""
    seats: bool = False
    """Read the licences' seats (`TargetState.seats`) and each user's licences (`TargetUser.seats`):
    the plan may create, reactivate or license someone (targets with `Capabilities.licence_seats`)."""
    group_sources: frozenset[str] = frozenset()
    """Source group ids whose target group the target must report by the id it stored
    (`TargetState.group_sources`; targets with `Capabilities.group_sources` only), with that group's
    members in `TargetState.groups` when its name is not the desired one (a rename to carry out)."""

    properties_known: frozenset[str] = frozenset()
    """Keys of users to read whose custom properties need no reading: idsync wrote them and the rules
    still want the same (the engine takes the wanted values; a full read checks them again)."""
    groups_exist: frozenset[str] = frozenset()
    """Groups whose existence alone the diff needs, not their members (targets with
    `Capabilities.group_existence` only): between full reads, the default groups for new users when
    someone may be created. A new user is added to such a group whether or not its 130,000 other
    members are read; the target reports an existing one in `TargetState.existing_groups` and a
    missing one as None in `TargetState.groups`."""

    @property
    def reads_nothing(self) -> bool:
        """Whether the target is asked for nothing at all (a run between full reads with no change)."""
        return not (self.user_keys or self.usernames or self.emails or self.groups or self.leads
                    or self.member_of or self.seats or self.group_sources or self.groups_exist)


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a target reported for a `StateQuery`. Users missing from `users` do not exist."""

    target: str
    users: Mapping[str, TargetUser]
    """Keyed by target key."""
    groups: Mapping[str, frozenset[str] | None]
    """Group name → member usernames (lower-case, or as spelt where the target is case sensitive); None
    when the group does not exist."""
    leads: tuple[LeadRole, ...] = ()
    unresolved_emails: frozenset[str] = frozenset()
    """Lower-case emails of the query whose search the target could not complete (its search caps
    its results): the users found for them prove neither that nobody else has the address nor that
    nobody has it. The diff never creates or claims by such an email."""
    group_sources: Mapping[str, str] = field(default_factory=dict)
    """Source group id → the name of the target group that carries it (for the query's
    `group_sources`; ids no target group carries are absent)."""
    user_count: int | None = None
    """How many users the target holds in all (targets with `Capabilities.max_users`)."""
    seats: tuple[SeatPool, ...] = ()
    """For a `StateQuery.seats` read: the licences whose seats the target counts."""
    seats_unread: str | None = None
    """Why the seats could not be read (no licence endpoint, not permitted): nothing is counted, and
    the plan says so in a note."""
    existing_groups: frozenset[str] = frozenset()
    """The groups of `StateQuery.groups_exist` that exist (their members were not read; a missing one
    is None in `groups`)."""


@dataclass(frozen=True, slots=True)
class SeatPool:
    """One licence whose seats a target counts: a Jira application role (Jira Software, Jira Service
    Management), the Confluence licence, the Bitbucket licence.

    Who takes a seat: a user the target creates (`on_create`: Confluence, a Jira role selected by
    default), and an active user in one of `groups` (Jira access groups, Bitbucket licence-granting
    groups); with no `groups`, every active user takes one (Confluence). One user takes at most one
    seat of a licence, however many of its groups they are in."""

    key: str
    """"jira-software", "confluence", "bitbucket" ..."""
    name: str
    left: int | None
    """Seats left now; None: the licence is unlimited."""
    groups: frozenset[str] = frozenset()
    """Groups whose active members take a seat, case-folded."""
    on_create: bool = False
    """A user the target creates takes a seat at once (before any membership)."""
    joined_on_create: frozenset[str] = frozenset()
    """Groups a user the target creates with this licence joins by that creation, case-folded (a Jira
    role's default groups): the target need not add them one by one."""


@dataclass(frozen=True, slots=True)
class Link:
    """One managed target user: source id ↔ target key, and a fingerprint of what was last written."""

    source_id: str
    target: str
    target_key: str
    username: str
    fingerprint: str
    """Hash of the fields idsync last wrote; equal to the desired fingerprint means nothing to do."""
    active: bool
    """Whether idsync last left the user active (so a user gone from scope is not re-read each run)."""
    granted_groups: frozenset[str] = frozenset()
    """Groups idsync gave this user because a rule told it to when it created the user
    (`groups.default_groups.new_users`) and that are in place. They are desired state from then on:
    never removed by idsync, whatever the mapping or `keep_existing_memberships` say. Once the
    membership is gone from the target (an admin took it away) the grant lapses and is not renewed."""
    pending_groups: frozenset[str] = frozenset()
    """Granted at creation but not yet in place (the add failed or was not reached): the next run
    adds them, then they move to `granted_groups`."""
    licence_groups: frozenset[str] = frozenset()
    """Licence-granting groups idsync took the user out of instead of deactivating it (targets with
    `Capabilities.licence_groups`): exactly these are given back when the user returns."""


@dataclass(frozen=True, slots=True)
class CachedGroup:
    """One source group's member ids as read at `read_at`, valid while both of the group's timestamps
    are unchanged (the Okta membership cache; the store persists it without knowing the source)."""

    group_id: str
    last_membership_updated: str | None
    last_updated: str | None
    member_ids: frozenset[str]
    read_at: datetime
