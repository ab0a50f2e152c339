"""Bitbucket's JSON shapes: RestDetailedUser, RestDetailedGroup and the global-permission entries.
Rendering only; no decisions."""

from __future__ import annotations

from typing import Any

from idsync.sandbox.atlassian.bitbucket.state import BitbucketGroup, BitbucketState, BitbucketUser

DIRECTORY = "Bitbucket Internal Directory"


def user_bean(base: str, user: BitbucketUser, state: BitbucketState) -> dict[str, Any]:
    """RestDetailedUser, as every /admin/users route returns it."""
    bean: dict[str, Any] = {
        "name": user.name,
        "emailAddress": user.email,
        "active": user.active,
        "displayName": user.display_name,
        "id": user.id,
        "slug": user.slug,
        "type": "NORMAL",
        "directoryName": DIRECTORY,
        # SYS_ADMIN users cannot be deleted by an ADMIN; the bean shows what an admin may do.
        "deletable": state.permission_of(user) != "SYS_ADMIN",
        "mutableDetails": True,
        "mutableGroups": True,
        "links": {"self": [{"href": f"{base}/users/{user.slug}"}]},
    }
    if user.last_authentication is not None:
        bean["lastAuthenticationTimestamp"] = int(user.last_authentication.timestamp() * 1000)
    return bean


def plain_user_bean(base: str, user: BitbucketUser) -> dict[str, Any]:
    """RestApplicationUser: the user embedded in a permission entry."""
    return {
        "name": user.name,
        "emailAddress": user.email,
        "active": user.active,
        "displayName": user.display_name,
        "id": user.id,
        "slug": user.slug,
        "type": "NORMAL",
        "links": {"self": [{"href": f"{base}/users/{user.slug}"}]},
    }


def group_bean(group: BitbucketGroup) -> dict[str, Any]:
    """RestDetailedGroup."""
    return {"name": group.name, "deletable": True}
