"""Profile models: one source → one or more targets, and the rules between them (scope, users,
groups, leads, safety, schedule)."""

from __future__ import annotations

import re
from typing import Literal

from croniter import CroniterError, croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc}): {value!r}") from exc
    return value


class UsernameRule(_Strict):
    """The target username: a source attribute, optionally rewritten by a regex."""

    attribute: str = "login"
    regex: str | None = None
    replace: str = "$1"
    """`$1`, `${1}` or `${name}` refer to the regex's groups."""
    lowercase: bool = True

    _check_regex = field_validator("regex")(lambda cls, v: None if v is None else _regex(v))


_DEFAULT_ATTRIBUTES: dict[Literal["email", "display_name"], str | list[str]] = {
    "email": "email",
    "display_name": ["{displayName}", "{firstName} {lastName}"],
}


class UsersRules(_Strict):
    """Which user changes to make (create, update, status, removal, claiming) and how fields are computed."""

    create: bool = True
    update: bool = True
    sync_status: bool = True
    """Deactivate / reactivate to follow the source's status."""
    when_removed: Literal["deactivate", "delete", "ignore"] = "deactivate"
    match_existing_by: Literal["username", "email", "none"] = "username"
    username: UsernameRule = UsernameRule()
    attributes: dict[Literal["email", "display_name"], str | list[str]] = Field(
        default_factory=lambda: dict(_DEFAULT_ATTRIBUTES)
    )
    """Target field → source attribute name, or a template like "{firstName} {lastName}"; a list gives
    fallbacks, the first whose attributes are all present wins."""
    custom_attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    """Target property name → source attribute or template (written as Jira user properties)."""
    active_statuses: list[str] = Field(
        default_factory=lambda: ["ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"]
    )
    """Source statuses that mean "active" (Okta statuses; LDAP and SCIM sources report ACTIVE or not)."""


class ScopeRules(_Strict):
    """Which source users take part (the Okta app scope is on the connection: `app_id`)."""

    include_groups: list[str] = Field(default_factory=list)
    """Regexes on source group names: only members of a matching group are in scope (empty: everyone)."""
    exclude_groups: list[str] = Field(default_factory=list)
    """Regexes on source group names: members of a matching group are out of scope."""
    statuses: list[str] | None = None
    """Only users with these source statuses are in scope (None: all statuses the source returns)."""

    @field_validator("include_groups", "exclude_groups")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]


class RenameRule(_Strict):
    """The on-the-fly group rename: `regex` on the source group name, `replace` with $1 / ${name}."""

    regex: str
    replace: str

    _check_regex = field_validator("regex")(lambda cls, v: _regex(v))


class DefaultGroups(_Strict):
    """Default groups, given whatever the source says."""

    new_users: list[str] = Field(default_factory=list)
    """Given once, when idsync creates the user."""
    all_users: list[str] = Field(default_factory=list)
    """Kept for every user in scope, every run."""
    new_users_by_target: dict[str, list[str]] = Field(default_factory=dict)
    """Target connection → the groups new users get there instead of `new_users` (a licence group
    has another name in each product: jira-software-users, confluence-users, stash-users)."""


class GroupsRules(_Strict):
    """How source groups become target groups and memberships."""

    mode: Literal["on_the_fly", "manual", "none"] = "on_the_fly"
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    rename: RenameRule | None = None
    """Used with mode on_the_fly; it may be set next to `mapping`, which only mode manual reads."""
    mapping: dict[str, list[str]] = Field(default_factory=dict)
    """Used with mode manual: source group name → target group names."""
    create_missing: bool = True
    keep_existing_memberships: bool = True
    """True: only remove memberships of users idsync manages; False: idsync is authoritative for
    the groups it manages and removes anyone the rules do not put there."""
    default_groups: DefaultGroups = DefaultGroups()

    @field_validator("include", "exclude")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]


class RoleSuccessors(_Strict):
    """Per target: who takes over each kind of role a user holds before the user is deactivated."""

    project: str | None = None
    component: str | None = None


class LeadRules(_Strict):
    """Who takes over a project / component lead before the lead is deactivated."""

    default_project_lead: str | None = None
    default_component_lead: str | None = None
    by_target: dict[str, RoleSuccessors] = Field(default_factory=dict)
    """Target connection → successors for that target only (two Jira instances, two admins)."""

    def successor(self, target: str, kind: str) -> tuple[str | None, str]:
        """Who takes over a role of `kind` in `target`, and the key that says so."""
        own = self.by_target.get(target)
        if own is not None and getattr(own, kind, None) is not None:
            return getattr(own, kind), f"leads.by_target.{target}.{kind}"
        if kind == "project":
            return self.default_project_lead, "leads.default_project_lead"
        return self.default_component_lead, "leads.default_component_lead"


class SafetyRules(_Strict):
    """Limits that refuse a plan (exit 3) unless --allow-over-limit."""

    max_deactivations: int | None = Field(50, ge=0)
    max_deactivation_percent: float | None = Field(10.0, ge=0, le=100)
    """Of the users idsync manages in a target; not applied to single-user runs or to a lone loss."""
    max_deletions: int | None = Field(10, ge=0)
    max_membership_removals: int | None = Field(500, ge=0)
    protected_users: list[str] = Field(default_factory=list)
    protected_groups: list[str] = Field(default_factory=list)
    refuse_empty_source: bool = True
    """Refuse a plan when the source returned no users although the previous run saw some."""
    over_seats: Literal["refuse", "hold_new_users"] = "refuse"
    """When a target's licence has fewer seats left than the plan gives out (new, returning and newly
    licensed users): refuse that target's items, or hold back the users who do not fit (in username
    order) and apply the rest."""


class ScheduleRules(_Strict):
    """When `idsync serve` runs the profile (cron or interval); `idsync.service.schedule` computes the
    slots and `idsync.server.scheduler` runs them."""

    cron: str | None = None
    interval: str | None = None
    """e.g. "15m", "1h", "30s"."""

    @model_validator(mode="after")
    def _one(self) -> ScheduleRules:
        if self.cron and self.interval:
            raise ValueError("give cron: or interval:, not both")
        if self.cron is not None:
            try:
                croniter(self.cron)
            except (CroniterError, ValueError) as exc:
                raise ValueError(f"cron {self.cron!r} is not a valid cron expression ({exc}); give five "
                                 "fields: minute hour day-of-month month day-of-week, e.g. '*/30 * * * *'"
                                 ) from None
        if self.interval and not re.fullmatch(r"0*[1-9]\d*[smhd]", self.interval):
            raise ValueError(f"interval must look like 30s, 15m, 1h or 1d (not zero), got {self.interval!r}")
        return self


_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
"""Jira's default project key pattern: an upper-case letter, then upper-case letters, digits or _."""


class ServiceDeskRules(_Strict):
    """Jira Service Management portal customers by source group: the members of each mapped source
    group become customers of the service desks (by project key) it names, and stop being customers
    when they leave it. Agents and licensed users are never made customers nor removed."""

    connection: str
    """A `jira` (Data Center) or `jira_cloud` connection; it need not be one of the profile's targets."""
    mapping: dict[str, list[str]] = Field(min_length=1)
    """Source group name → project keys of the service desks its members are customers of."""

    @field_validator("mapping")
    @classmethod
    def _keys(cls, mapping: dict[str, list[str]]) -> dict[str, list[str]]:
        for group, keys in mapping.items():
            if not keys:
                raise ValueError(f"group {group!r} maps to no service desk; give at least one project key")
            for key in keys:
                if not _PROJECT_KEY.fullmatch(key):
                    raise ValueError(
                        f"{key!r} (for group {group!r}) is not a Jira project key; valid: an upper-case "
                        "letter followed by upper-case letters, digits or _, e.g. ITH"
                    )
        return mapping


class Profile(_Strict):
    """One sync profile."""

    source: str
    targets: list[str] = Field(default_factory=list)
    """At least one, unless the profile only manages service-desk customers (`service_desks`)."""
    scope: ScopeRules = ScopeRules()
    users: UsersRules = UsersRules()
    groups: GroupsRules = GroupsRules()
    leads: LeadRules = LeadRules()
    safety: SafetyRules = SafetyRules()
    schedule: ScheduleRules | None = None
    service_desks: ServiceDeskRules | None = None

    @model_validator(mode="after")
    def _defaults_name_targets(self) -> Profile:
        if not self.targets and self.service_desks is None:
            raise ValueError("targets: needs at least one target connection (or a service_desks: section "
                             "for a profile that only manages service-desk customers)")
        for key, named in (("groups.default_groups.new_users_by_target",
                            self.groups.default_groups.new_users_by_target),
                           ("leads.by_target", self.leads.by_target)):
            strangers = sorted(set(named) - set(self.targets))
            if strangers:
                raise ValueError(
                    f"{key} names {', '.join(map(repr, strangers))}, not a target of this profile; "
                    f"valid: {', '.join(self.targets)}"
                )
        return self
