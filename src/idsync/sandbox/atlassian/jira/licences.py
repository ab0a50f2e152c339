"""Application roles and their seats: `GET /rest/api/2/applicationrole[/{key}]`, and the refusal of a
user past a role's last seat.

A role (Jira Software, Jira Service Management …) is granted by membership of any of its `groups`;
an active member of one or more of them takes one seat, inactive users take none. A user created
without `applicationKeys` gets the roles marked `selectedByDefault`; with them, the roles named. Either
way the user joins each granted role's default groups.

Atlassian does not document what the REST API answers once a role's seats are gone. Atlassian support
quotes the start of the text ("Adding a user to the selected groups will exceed the number of allowed
users lic…"), so the emulator answers `POST /group/user` into an access group, and `POST /user` that
would grant a full role, with 400 and that text completed, and creates or adds nothing. With the option
`create_unlicensed` a creation succeeds instead without the full role (201), the other behaviour
reported for older versions. Reactivating a user is not refused: what Jira does then is not documented
either, and over the limit it is known to keep the users but stop them creating issues.

Unlimited roles report -1 for `numberOfSeats` and `remainingSeats` (not documented; clients trust
`hasUnlimitedSeats` first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.atlassian.jira.web import JiraError, json, require_admin, runtime_of, state_of

if TYPE_CHECKING:
    from idsync.sandbox.atlassian.jira.state import JiraGroup, JiraState, JiraUser

OVER_LIMIT = (
    "Adding a user to the selected groups will exceed the number of allowed users licensed for "
    "{role}. Please contact your Jira administrator to upgrade your license."
)
UNLIMITED = -1


@dataclass
class ApplicationRole:
    """One application role: who it is granted to (by group) and how many seats it has."""

    key: str
    name: str
    groups: list[str] = field(default_factory=list)
    """Lower-case names of the groups granting it."""
    default_groups: list[str] = field(default_factory=list)
    selected_by_default: bool = False
    seats: int | None = None
    """None: unlimited."""
    platform: bool = False


def default_roles(options: JiraOptions) -> dict[str, ApplicationRole]:
    """The roles a generated Jira has: Jira Software through jira-software-users, selected by default,
    with `licensed_users` seats (unlimited when not given); with service desks, Jira Service
    Management through jira-servicedesk-users (unlimited; tests may set its `seats`)."""
    software = ApplicationRole(
        "jira-software", "Jira Software", ["jira-software-users"], ["jira-software-users"],
        selected_by_default=True, seats=options.licensed_users,
    )
    roles = {software.key: software}
    if options.service_desks:
        roles["jira-servicedesk"] = ApplicationRole(
            "jira-servicedesk", "Jira Service Management", ["jira-servicedesk-users"],
            ["jira-servicedesk-users"],
        )
    return roles


def role_users(state: JiraState, role: ApplicationRole) -> set[str]:
    """Keys of the active users holding a seat of `role`."""
    keys: set[str] = set()
    for name in role.groups:
        group = state.groups.get(name)
        if group is not None:
            keys.update(k for k in group.members if state.users[k].active)
    return keys


def roles_of(state: JiraState, user: JiraUser) -> list[ApplicationRole]:
    """The roles the user's groups grant, by key."""
    return [role for key, role in sorted(state.roles.items()) if user.groups & set(role.groups)]


def remaining(state: JiraState, role: ApplicationRole) -> int | None:
    """Seats left (never negative); None when unlimited."""
    if role.seats is None:
        return None
    return max(0, role.seats - len(role_users(state, role)))


def _full(state: JiraState, roles: Iterable[ApplicationRole]) -> list[ApplicationRole]:
    return [role for role in roles if (left := remaining(state, role)) is not None and left <= 0]


def check_join(state: JiraState, group: JiraGroup, user: JiraUser) -> None:
    """400 when `user` joining `group` would take a seat of a role that has none left (an inactive
    user, or one already holding the role through another group, takes no new seat)."""
    if not user.active:
        return
    lower = group.name.lower()
    gained = [role for role in state.roles.values()
              if lower in role.groups and not user.groups & set(role.groups)]
    full = _full(state, gained)
    if full:
        raise JiraError(400, OVER_LIMIT.format(role=full[0].name))


def roles_for_new_user(request: Request, keys: Any) -> list[ApplicationRole]:
    """The roles a `POST /user` grants (`applicationKeys`, else those selected by default), after the
    seat check: 400 when one is full, unless the emulator creates unlicensed users (then the full
    roles are left out). Unknown keys are ignored (what Jira answers for them is not documented)."""
    state = state_of(request)
    if isinstance(keys, list):
        roles = [state.roles[k] for k in keys if isinstance(k, str) and k in state.roles]
    else:
        roles = [role for _, role in sorted(state.roles.items()) if role.selected_by_default]
    full = _full(state, roles)
    if full and not runtime_of(request).options.create_unlicensed:
        raise JiraError(400, OVER_LIMIT.format(role=full[0].name))
    return [role for role in roles if role not in full]


def grant(state: JiraState, user: JiraUser, roles: Iterable[ApplicationRole]) -> None:
    """Put a new user into the default groups of the roles it was given."""
    for role in roles:
        for name in role.default_groups:
            group = state.groups.get(name)
            if group is not None and user.key not in group.members:
                state.add_member(group, user)


def role_bean(state: JiraState, role: ApplicationRole) -> dict[str, Any]:
    """ApplicationRole as Jira Data Center renders it."""
    used = len(role_users(state, role))
    left = remaining(state, role)
    return {
        "key": role.key,
        "name": role.name,
        "groups": sorted(state.groups[g].name for g in role.groups if g in state.groups),
        "defaultGroups": sorted(state.groups[g].name for g in role.default_groups if g in state.groups),
        "selectedByDefault": role.selected_by_default,
        "defined": True,
        "numberOfSeats": UNLIMITED if role.seats is None else role.seats,
        "remainingSeats": UNLIMITED if left is None else left,
        "userCount": used,
        "userCountDescription": f"{used} users",
        "hasUnlimitedSeats": role.seats is None,
        "platform": role.platform,
    }


async def list_roles(request: Request) -> Response:
    """GET /applicationrole: every role (Administer Jira)."""
    require_admin(request)
    state = state_of(request)
    return json([role_bean(state, role) for _, role in sorted(state.roles.items())])


async def get_role(request: Request) -> Response:
    """GET /applicationrole/{key}: one role; 404 for an unknown key (text unverified)."""
    require_admin(request)
    state = state_of(request)
    key = request.path_params["key"]
    role = state.roles.get(key)
    if role is None:
        raise JiraError(404, f"The application role with key '{key}' does not exist.")
    return json(role_bean(state, role))


def routes() -> list[Route]:
    """The application role routes under /rest/api/2."""
    return [
        Route("/rest/api/2/applicationrole", list_roles, methods=["GET"]),
        Route("/rest/api/2/applicationrole/{key}", get_role, methods=["GET"]),
    ]
