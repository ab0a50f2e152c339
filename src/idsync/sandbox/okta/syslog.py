"""The System Log: LogEvents the emulator's own changes generate,
kept in persistence order, and handed to listeners (the event-hook deliverer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.okta.model import App, Group, User, iso

ADMIN_ACTOR = {
    "id": "00u0sandboxadmin0001",
    "type": "User",
    "alternateId": "admin@example.com",
    "displayName": "Sandbox Admin",
    "detailEntry": None,
}

_DISPLAY = {
    "user.lifecycle.create": "Create okta user",
    "user.lifecycle.activate": "Activate Okta user",
    "user.lifecycle.deactivate": "Deactivate Okta user",
    "user.lifecycle.reactivate": "Reactivate Okta user",
    "user.lifecycle.suspend": "Suspend Okta user",
    "user.lifecycle.unsuspend": "Unsuspend Okta user",
    "user.lifecycle.delete.initiated": "Delete Okta user",
    "user.lifecycle.delete.completed": "Delete Okta user completed",
    "user.account.update_profile": "Update user profile for Okta",
    "user.account.unlock": "Unlock user account",
    "user.account.reset_password": "Reset password for Okta user",
    "user.account.expire_password": "Expire password for Okta user",
    "group.lifecycle.create": "Create Okta group",
    "group.lifecycle.delete": "Delete Okta group",
    "group.profile.update": "Update group profile",
    "group.user_membership.add": "Add user to group membership",
    "group.user_membership.remove": "Remove user from group membership",
    "group.application_assignment.add": "Add assigned application to group",
    "group.application_assignment.remove": "Remove assigned application from group",
    "application.user_membership.add": "Add user to application membership",
    "application.user_membership.remove": "Remove user from application membership",
}


def user_target(user: User) -> dict[str, Any]:
    """A LogEvent target for a user (type "User", as documented)."""
    profile = user.profile
    name = f"{profile.get('firstName') or ''} {profile.get('lastName') or ''}".strip()
    return {
        "id": user.id,
        "type": "User",
        "alternateId": profile.get("login"),
        "displayName": name,
        "detailEntry": None,
    }


def group_target(group: Group) -> dict[str, Any]:
    """A LogEvent target for a group: type "UserGroup", the commonly seen value (Okta's docs don't give
    the literal, so clients should not depend on it)."""
    name = group.profile.get("name")
    return {
        "id": group.id,
        "type": "UserGroup",
        "alternateId": "unknown",
        "displayName": name,
        "detailEntry": None,
    }


def app_target(app: App) -> dict[str, Any]:
    """A LogEvent target for an app instance."""
    return {
        "id": app.id,
        "type": "AppInstance",
        "alternateId": app.label,
        "displayName": app.label,
        "detailEntry": None,
    }


@dataclass
class SystemLog:
    """Append-only event list; `seq` of an event is its index, used as the opaque paging cursor."""

    clock: Clock
    events: list[dict[str, Any]] = field(default_factory=list)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    token_id: str = "00Tsandbox0000000000"

    def emit(self, event_type: str, targets: list[dict[str, Any]]) -> dict[str, Any]:
        """Record one SUCCESS event by the sandbox admin and notify listeners."""
        event: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "published": iso(self.clock.now()),
            "eventType": event_type,
            "version": "0",
            "severity": "INFO",
            "legacyEventType": None,
            "displayMessage": _DISPLAY.get(event_type, event_type),
            "actor": ADMIN_ACTOR,
            "client": {
                "userAgent": {"rawUserAgent": "idsync-sandbox", "os": "Unknown", "browser": "UNKNOWN"},
                "zone": "null",
                "device": "Unknown",
                "id": None,
                "ipAddress": "127.0.0.1",
                "geographicalContext": None,
            },
            "outcome": {"result": "SUCCESS", "reason": None},
            "target": targets,
            "transaction": {
                "type": "WEB",
                "id": uuid.uuid4().hex[:20],
                "detail": {"requestApiTokenId": self.token_id},
            },
            "debugContext": {"debugData": {}},
            "authenticationContext": {
                "authenticationProvider": None,
                "credentialProvider": None,
                "credentialType": None,
                "issuer": None,
                "externalSessionId": None,
                "interface": None,
            },
            "securityContext": {
                "asNumber": None,
                "asOrg": None,
                "isp": None,
                "domain": None,
                "isProxy": None,
            },
        }
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event
