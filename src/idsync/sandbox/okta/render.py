"""Records → Okta's JSON shapes (user, group, app user / app group, event hook).
`base` is the scheme and host the caller used, e.g. "http://127.0.0.1:8081"."""

from __future__ import annotations

from typing import Any

from idsync.sandbox.okta.dialects import USER_TYPE_ID
from idsync.sandbox.okta.model import App, AppGroup, AppUser, EventHook, Group, User

_PROVIDER = {"type": "OKTA", "name": "OKTA"}


def user_json(user: User, base: str) -> dict[str, Any]:
    """A User object."""
    email = user.profile.get("email")
    credentials: dict[str, Any] = {}
    if user.has_password:
        credentials["password"] = {}
    credentials["emails"] = [{"value": email, "status": "VERIFIED", "type": "PRIMARY"}] if email else []
    credentials["provider"] = _PROVIDER
    return {
        "id": user.id,
        "status": user.status,
        "created": user.created,
        "activated": user.activated,
        "statusChanged": user.status_changed,
        "lastLogin": user.last_login,
        "lastUpdated": user.last_updated,
        "passwordChanged": user.password_changed,
        "type": {"id": USER_TYPE_ID},
        "profile": user.profile,
        "credentials": credentials,
        "_links": {"self": {"href": f"{base}/api/v1/users/{user.id}"}},
    }


def group_json(
    group: Group, base: str, users_count: int | None = None, apps_count: int | None = None
) -> dict[str, Any]:
    """A Group object; with counts (expand=stats) it carries `_embedded.stats`."""
    href = f"{base}/api/v1/groups/{group.id}"
    body: dict[str, Any] = {
        "id": group.id,
        "created": group.created,
        "lastUpdated": group.last_updated,
        "lastMembershipUpdated": group.last_membership_updated,
        "objectClass": [
            "okta:windows_security_principal" if group.type == "APP_GROUP" else "okta:user_group"
        ],
        "type": group.type,
        "profile": group.profile,
        "_links": {
            "logo": [
                {
                    "name": "medium",
                    "href": f"{base}/assets/img/logos/groups/okta-medium.png",
                    "type": "image/png",
                }
            ],
            "users": {"href": f"{href}/users"},
            "apps": {"href": f"{href}/apps"},
        },
    }
    if group.source_app_id:
        body["source"] = {"id": group.source_app_id}
        body["_links"]["source"] = {"href": f"{base}/api/v1/apps/{group.source_app_id}"}
    if users_count is not None:
        body["_embedded"] = {
            "stats": {
                "usersCount": users_count,
                "appsCount": apps_count or 0,
                "groupPushMappingsCount": 0,
                "hasAdminPrivilege": False,
            }
        }
    return body


def app_json(app: App, base: str) -> dict[str, Any]:
    """An Application object (the parts app-based sync reads)."""
    href = f"{base}/api/v1/apps/{app.id}"
    return {
        "id": app.id, "name": app.name, "label": app.label, "status": app.status,
        "lastUpdated": app.last_updated, "created": app.created, "signOnMode": app.sign_on_mode,
        "features": [], "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}},
        "_links": {"users": {"href": f"{href}/users"}, "groups": {"href": f"{href}/groups"},
                   "self": {"href": href}},
    }  # fmt: skip


def app_user_json(app: App, user: User, scope: str, assignment: AppUser | None, base: str) -> dict[str, Any]:
    """An app user: SSO-style assignment (syncState DISABLED, externalId null)."""
    created = assignment.created if assignment else user.created
    updated = assignment.last_updated if assignment else user.last_updated
    user_name = assignment.user_name if assignment else user.profile.get("login")
    return {
        "id": user.id,
        "externalId": None,
        "created": created,
        "lastUpdated": updated,
        "scope": scope,
        "status": "ACTIVE",
        "statusChanged": created,
        "passwordChanged": None,
        "syncState": "DISABLED",
        "credentials": {"userName": user_name},
        "profile": dict(assignment.profile) if assignment else {},
        "_links": {
            "app": {"href": f"{base}/api/v1/apps/{app.id}"},
            "user": {"href": f"{base}/api/v1/users/{user.id}"},
        },
    }


def app_group_json(app: App, assignment: AppGroup, base: str) -> dict[str, Any]:
    """An app group assignment: no group name unless expand=group."""
    return {
        "id": assignment.group_id,
        "lastUpdated": assignment.last_updated,
        "priority": assignment.priority,
        "_links": {
            "app": {"href": f"{base}/api/v1/apps/{app.id}"},
            "group": {"href": f"{base}/api/v1/groups/{assignment.group_id}"},
        },
    }


def hook_json(hook: EventHook, base: str) -> dict[str, Any]:
    """An event hook; the auth secret (`authScheme.value`) is never returned."""
    config: dict[str, Any] = {"uri": hook.uri, "headers": hook.headers, "method": "POST"}
    config["authScheme"] = {"type": "HEADER", "key": hook.auth_key} if hook.auth_key else None
    href = f"{base}/api/v1/eventHooks/{hook.id}"
    return {
        "id": hook.id,
        "status": hook.status,
        "verificationStatus": hook.verification_status,
        "name": hook.name,
        "created": hook.created,
        "createdBy": "00u0sandboxadmin0001",
        "lastUpdated": hook.last_updated,
        "events": {"type": "EVENT_TYPE", "items": hook.event_types, "filter": None},
        "channel": {"type": "HTTP", "version": "1.0.0", "config": config},
        "_links": {
            "self": {"href": href},
            "verify": {"href": f"{href}/lifecycle/verify", "hints": {"allow": ["POST"]}},
            "deactivate": {"href": f"{href}/lifecycle/deactivate", "hints": {"allow": ["POST"]}},
        },
    }
