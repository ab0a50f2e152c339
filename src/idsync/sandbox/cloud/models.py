"""The SCIM resource models of an Atlassian directory, on scim2-models.

A user is the core User with the enterprise extension and Atlassian's own
`urn:scim:schemas:extension:atlassian-external:1.0` (the Atlassian account id, read-only). Atlassian
documents `department` and `organization` at the top level of the user as well (a non-standard
placement), so the model declares them there too, which also makes /Schemas describe them.

The policy every payload is read under: attributes no schema declares are ignored (Atlassian's
"unknown attributes ignored"), the rest is the strict RFC reading.
"""

from __future__ import annotations

from typing import Annotated

from scim2_models import (
    EnterpriseUser,
    Extension,
    Mutability,
    ScimPolicy,
    User,
)

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0"
USER_SCHEMAS = [CORE_USER, ENTERPRISE, ATLASSIAN]
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

POLICY = ScimPolicy(unknown=ScimPolicy.Unknown.ignore)


class AtlassianExternal(Extension):
    """The Atlassian account a SCIM user is linked to."""

    __schema__ = ATLASSIAN  # type: ignore[assignment]

    atlassian_account_id: Annotated[str | None, Mutability.read_only] = None
    """The id of the Atlassian account the SCIM user is linked to."""


class CloudUser(User[EnterpriseUser | AtlassianExternal]):
    """A user of an Atlassian SCIM directory."""

    department: str | None = None
    """Atlassian reads the department from the top level of the user."""

    organization: str | None = None
    """Atlassian reads the organization from the top level of the user."""
