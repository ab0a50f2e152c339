"""Request bodies the tests send, in the forms IdPs send them."""

from __future__ import annotations

from typing import Any

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def user(name: str, domain: str = "example.com", **extra: Any) -> dict[str, Any]:
    """A create body for `name@domain`, as Okta sends it (with its meaningless password)."""
    email = f"{name}@{domain}"
    return {
        "schemas": [CORE_USER],
        "userName": email,
        "name": {"givenName": name.title(), "familyName": "Tester"},
        "displayName": f"{name.title()} Tester",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "password": "1mz050nq",
        "active": True,
        **extra,
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp body."""
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def group(name: str, *members: str, **extra: Any) -> dict[str, Any]:
    """A group create body."""
    return {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": m} for m in members], **extra}


def members(*ids: str) -> list[dict[str, str]]:
    """A `members` value."""
    return [{"value": i} for i in ids]
