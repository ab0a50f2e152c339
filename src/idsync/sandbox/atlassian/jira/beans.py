"""Jira's JSON shapes: UserBean, the lighter user of /group/member, GroupBean,
projects and components. Rendering only; no decisions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote

from idsync.sandbox.atlassian.jira.state import Component, JiraGroup, JiraState, JiraUser, Project

API = "/rest/api/2"
ACCESS_GROUPS = {
    "jira-software-users": ("jira-software", "Jira Software"),
    "jira-servicedesk-users": ("jira-servicedesk", "Jira Service Management"),
}
"""Default access group → the application role its members hold (a user in none has no application
access: a portal-only customer)."""


def application_roles(user: JiraUser) -> list[dict[str, str]]:
    """The application roles the user's groups grant, as `applicationRoles.items` lists them."""
    return [{"key": key, "name": name}
            for group, (key, name) in ACCESS_GROUPS.items() if group in user.groups]


@lru_cache(maxsize=64)
def _default_avatars(base: str) -> dict[str, str]:
    return {
        size: f"{base}/secure/useravatar?size={name}&avatarId=10122"
        for size, name in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"), ("32x32", "medium"))
    }


def avatar_urls(base: str, user: JiraUser) -> dict[str, str]:
    """The four avatar sizes of a user with the default avatar: Jira leaves `ownerId` out of those URLs
    (it appears only for uploaded avatars), so they are the same for everyone (shared, don't mutate)."""
    return _default_avatars(base)


def user_self(base: str, user: JiraUser) -> str:
    """The canonical URL of a user resource."""
    return f"{base}{API}/user?username={quote(user.name)}"


def user_bean(base: str, user: JiraUser, state: JiraState, expand: str = "") -> dict[str, Any]:
    """UserBean as GET /user, /user/search and /user/list return it."""
    roles = application_roles(user)
    bean: dict[str, Any] = {
        "self": user_self(base, user),
        "key": user.key,
        "name": user.name,
        "emailAddress": user.email,
        "avatarUrls": avatar_urls(base, user),
        "displayName": user.display_name,
        "active": user.active,
        "deleted": False,
        "timeZone": user.time_zone,
        "locale": user.locale,
        "groups": {"size": len(user.groups), "items": []},
        "applicationRoles": {"size": len(roles), "items": []},
        "expand": "groups,applicationRoles",
    }
    if user.last_login is not None:
        bean["lastLoginTime"] = user.last_login.isoformat(timespec="milliseconds")
    if "groups" in expand:
        names = sorted(state.groups[g].name for g in user.groups)
        bean["groups"]["items"] = [{"name": n, "self": group_self(base, n)} for n in names]
    if "applicationRoles" in expand:
        bean["applicationRoles"]["items"] = roles
    return bean


def member_bean(base: str, user: JiraUser) -> dict[str, Any]:
    """A user as listed by /group/member (no groups/applicationRoles)."""
    return {
        "self": user_self(base, user),
        "name": user.name,
        "key": user.key,
        "emailAddress": user.email,
        "avatarUrls": avatar_urls(base, user),
        "displayName": user.display_name,
        "active": user.active,
        "timeZone": user.time_zone,
    }


def lead_bean(base: str, user: JiraUser) -> dict[str, Any]:
    """The user-lite embedded as a project or component lead."""
    return {
        "self": user_self(base, user),
        "key": user.key,
        "name": user.name,
        "avatarUrls": avatar_urls(base, user),
        "displayName": user.display_name,
        "active": user.active,
    }


def group_self(base: str, name: str) -> str:
    """The canonical URL of a group resource."""
    return f"{base}{API}/group?groupname={quote(name)}"


def group_bean(base: str, group: JiraGroup) -> dict[str, Any]:
    """GroupBean without expanded users."""
    return {
        "name": group.name,
        "self": group_self(base, group.name),
        "users": {
            "size": len(group.members),
            "items": [],
            "max-results": 50,
            "start-index": 0,
            "end-index": 0,
        },
        "expand": "users",
    }


def project_bean(
    base: str, project: Project, state: JiraState, *, full: bool, expand: str = ""
) -> dict[str, Any]:
    """A project: the list shape, or the full shape of GET /project/{key} (lead, components)."""
    bean: dict[str, Any] = {
        "expand": "description,lead,url,projectKeys",
        "self": f"{base}{API}/project/{project.id}",
        "id": str(project.id),
        "key": project.key,
        "name": project.name,
        "avatarUrls": {
            s: f"{base}/secure/projectavatar?size={n}&avatarId=10324"
            for s, n in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"), ("32x32", "medium"))
        },
        "projectTypeKey": project.project_type_key,
        "archived": False,
    }
    if full or "lead" in expand:
        bean["lead"] = lead_bean(base, state.users[project.lead])
    if full or "description" in expand:
        bean["description"] = project.description
    if full:
        bean["components"] = [
            component_bean(base, c, state) for c in state.components.values() if c.project_key == project.key
        ]
        bean["assigneeType"] = project.assignee_type
        bean["projectKeys"] = [project.key]
        bean["url"] = project.url
    return bean


def component_bean(base: str, component: Component, state: JiraState) -> dict[str, Any]:
    """A component (jira.js DC schema)."""
    project = state.projects[component.project_key]
    bean: dict[str, Any] = {
        "self": f"{base}{API}/component/{component.id}",
        "id": str(component.id),
        "name": component.name,
        "description": component.description,
        "assigneeType": component.assignee_type,
        "realAssigneeType": component.assignee_type,
        "isAssigneeTypeValid": True,
        "project": project.key,
        "projectId": project.id,
        "archived": False,
        "deleted": False,
    }
    if component.lead is not None:
        lead = state.users[component.lead]
        bean["lead"] = lead_bean(base, lead)
        bean["leadUserName"] = lead.name
    return bean
