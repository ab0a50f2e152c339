"""The Atlassian Cloud target: the generic SCIM target (idsync.targets.scim) with Atlassian's
documented behaviour (quirks.py). The connection's URL is the directory base URL,
`https://api.atlassian.com/scim/directory/<directory id>`, and its token the directory's API key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from idsync.config.connections import AtlassianCloudConnection
from idsync.targets.cloud.quirks import CLOUD
from idsync.targets.scim.target import ScimTarget

CLOUD_CAPABILITIES = CLOUD.capabilities()


def cloud_target(
    name: str,
    conn: AtlassianCloudConnection,
    *,
    custom_attributes: Iterable[str] = (),
) -> ScimTarget:
    """A target for one Atlassian Cloud provisioning directory (its limits as the connection states
    them: Atlassian's documented ones unless raised for the organisation)."""
    flavour = replace(CLOUD, max_users=conn.max_users, max_group_members=conn.max_group_members)
    return ScimTarget(name, conn, flavour=flavour, custom_attributes=custom_attributes)
