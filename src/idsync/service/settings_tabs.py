"""The settings tabs: which profile keys each tab of the settings page edits, with their labels, help
and kinds (how a value is shown and read back).

This is the one description of the settings pages: the UI renders it and `settings_form` reads the
submitted form with it. Valid choices come from the config models' `Literal` types, so a value the
models add is offered without a change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args, get_origin

from idsync.config.profiles import Profile
from idsync.service.errors import UnknownName


class Kind(StrEnum):
    """How a field is shown and read back."""

    BOOL = "bool"
    CHOICE = "choice"
    TEXT = "text"
    OPTIONAL_TEXT = "optional_text"
    """Empty: the key is removed (its default is "not set")."""
    LIMIT = "limit"
    """A whole number; empty: no limit (null)."""
    PERCENT = "percent"
    LINES = "lines"
    """A list, one item per line."""
    TABLE = "table"
    """name → source attribute or template; several lines are fallbacks (the first that resolves wins)."""
    GROUP_TABLE = "group_table"
    """name → list of target groups, comma-separated."""
    RENAME = "rename"
    SUCCESSORS = "successors"
    """One row per target of the profile: project and component lead successors."""


@dataclass(frozen=True, slots=True)
class Field:
    """One setting on a tab."""

    path: tuple[str, ...]
    label: str
    kind: Kind
    help: str = ""
    fixed_keys: tuple[str, ...] = ()
    """For a TABLE whose names are fixed by the models (users.attributes: email, display_name)."""
    columns: tuple[str, ...] = ()
    """The column headings of a table field."""
    section: str = ""
    """The heading this field starts (the fields after it belong to it until the next one)."""

    @property
    def name(self) -> str:
        """The form field name and the key path inside the profile."""
        return ".".join(self.path)

    @property
    def choices(self) -> tuple[str, ...]:
        """The valid values of a CHOICE field, from the models."""
        return _literal_values(self.path)


@dataclass(frozen=True, slots=True)
class Tab:
    """One tab of the settings page."""

    slug: str
    title: str
    fields: tuple[Field, ...]
    preview: str | None = None
    """Which live preview the tab shows ("usernames", "groups"), if any."""
    note: str = ""
    """Said above the fields (when a saved change takes effect, if not at once)."""

    def field(self, name: str) -> Field:
        """The field named `name` on this tab."""
        for found in self.fields:
            if found.name == name:
                return found
        raise UnknownName("field", name, [f.name for f in self.fields])


def _f(path: str, label: str, kind: Kind, help: str = "", **extra: Any) -> Field:
    return Field(tuple(path.split(".")), label, kind, help, **extra)



# fmt: off
TABS: tuple[Tab, ...] = (
    Tab("users", "User sync", (
        _f("users.create", "Create users", Kind.BOOL, "Create target users for source users in scope.",
           section="What idsync does"),
        _f("users.update", "Update users", Kind.BOOL,
           "Keep e-mail, display name and custom attributes current."),
        _f("users.sync_status", "Follow the source status", Kind.BOOL,
           "Deactivate and reactivate target users as the source does."),
        _f("users.when_removed", "When a user leaves the source or the scope", Kind.CHOICE),
        _f("users.match_existing_by", "Claim existing target users by", Kind.CHOICE,
           "An existing target user with the same username or e-mail becomes managed by idsync."),
        _f("users.username.attribute", "Username attribute", Kind.TEXT,
           "The source attribute the target username comes from (Okta: login; LDAP: uid or "
           "sAMAccountName).", section="Username"),
        _f("users.username.regex", "Username regex", Kind.OPTIONAL_TEXT,
           "Optional: rewrites the attribute's value, e.g. (.*)@.* keeps what is before the @."),
        _f("users.username.replace", "Username replacement", Kind.TEXT,
           "What a matching value becomes: $1, ${1} or ${name} refer to the regex's groups."),
        _f("users.username.lowercase", "Lower-case usernames", Kind.BOOL),
        _f("users.attributes", "Attribute mapping", Kind.TABLE,
           "Source attribute, or a template like {firstName} {lastName}; one per line: the first that "
           "resolves wins. Empty: the field is not synced.", fixed_keys=("email", "display_name"),
           columns=("Target field", "Source attribute or template"), section="Attributes"),
        _f("users.custom_attributes", "Custom attributes", Kind.TABLE,
           "Target property name → source attribute or template (Jira user properties).",
           columns=("Property", "Source attribute or template")),
        _f("users.active_statuses", "Source statuses that mean active", Kind.LINES, "One per line."),
    ), preview="usernames"),
    Tab("groups", "Group sync", (
        _f("groups.mode", "Group mapping mode", Kind.CHOICE,
           "on_the_fly: source groups become target groups of the same (or renamed) name; manual: "
           "the mapping table below; none: source groups are ignored.", section="Mode"),
        _f("groups.include", "Include source groups (on the fly)", Kind.LINES,
           "Regexes, one per line; empty: every source group.", section="On-the-fly mapping"),
        _f("groups.exclude", "Exclude source groups (on the fly)", Kind.LINES, "Regexes, one per line."),
        _f("groups.rename", "Rename groups (on the fly)", Kind.RENAME,
           "A regex on the source group name and its replacement ($1, ${name})."),
        _f("groups.mapping", "Manual group mapping", Kind.GROUP_TABLE,
           "Source group → target groups, comma-separated (used in manual mode).",
           columns=("Source group", "Target groups"), section="Manual mapping"),
        _f("groups.create_missing", "Create missing target groups", Kind.BOOL, section="Memberships"),
        _f("groups.keep_existing_memberships", "Keep memberships idsync did not make", Kind.BOOL,
           "Off: idsync removes anyone the rules do not put in the groups it manages."),
        _f("groups.default_groups.new_users", "Default groups for new users", Kind.LINES,
           "Given once, when idsync creates the user. One per line.", section="Default groups"),
        _f("groups.default_groups.all_users", "Default groups for all users", Kind.LINES,
           "Kept for every user in scope, every run. One per line."),
        _f("groups.default_groups.new_users_by_target", "New users' groups per target", Kind.GROUP_TABLE,
           "Target connection → the groups new users get there instead of the default groups for "
           "new users.", columns=("Target connection", "Groups")),
    ), preview="groups"),
    Tab("leads", "Leads and roles", (
        _f("leads.default_project_lead", "Default project lead", Kind.OPTIONAL_TEXT,
           "Takes over the projects of a lead before the lead is deactivated."),
        _f("leads.default_component_lead", "Default component lead", Kind.OPTIONAL_TEXT,
           "Takes over the components of a lead before the lead is deactivated."),
        _f("leads.by_target", "Successors per target", Kind.SUCCESSORS,
           "Overrides the defaults in one target (empty: the default applies).",
           columns=("Target", "Project lead successor", "Component lead successor")),
    )),
    Tab("safety", "Safety limits", (
        _f("safety.max_deactivations", "Most deactivations per run", Kind.LIMIT, "Empty: no limit."),
        _f("safety.max_deactivation_percent", "Most deactivations, % of managed users", Kind.PERCENT,
           "0 to 100; empty: no limit."),
        _f("safety.max_deletions", "Most deletions per run", Kind.LIMIT, "Empty: no limit."),
        _f("safety.max_membership_removals", "Most membership removals per run", Kind.LIMIT,
           "Empty: no limit."),
        _f("safety.protected_users", "Protected users", Kind.LINES,
           "Never deactivated, deleted or changed. One per line."),
        _f("safety.protected_groups", "Protected groups", Kind.LINES,
           "Their memberships are never managed. One per line."),
        _f("safety.refuse_empty_source", "Refuse a plan when the source suddenly returns nobody",
           Kind.BOOL),
    )),
    Tab("schedule", "Schedule", (
        _f("schedule.cron", "Cron expression", Kind.OPTIONAL_TEXT,
           "Five fields: minute hour day-of-month month day-of-week, e.g. */30 * * * *."),
        _f("schedule.interval", "Interval", Kind.OPTIONAL_TEXT,
           "e.g. 30s, 15m, 1h or 1d. Give a cron expression or an interval, not both; neither: "
           "no scheduled runs."),
    ), note="idsync serve's scheduler reads the schedules when it starts: a saved schedule takes effect "
            "when idsync serve is restarted (the next run time is computed from it then)."),
)
# fmt: on


def tab(slug: str) -> Tab:
    """The tab `slug`; UnknownName lists the tabs."""
    for found in TABS:
        if found.slug == slug:
            return found
    raise UnknownName("tab", slug, [t.slug for t in TABS], what="settings tab")


def _literal_values(path: Sequence[str]) -> tuple[str, ...]:
    """The Literal values the models allow at `path` (empty when the field is not a Literal)."""
    model: Any = Profile
    annotation: Any = None
    for key in path:
        fields = getattr(model, "model_fields", {})
        if key not in fields:
            return ()
        annotation = fields[key].annotation
        model = annotation
    if get_origin(annotation) is Literal:
        return tuple(str(v) for v in get_args(annotation))
    return ()
