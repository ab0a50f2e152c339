"""Builds source and target connectors from connection configs. The only place that knows which class
serves which `type:`; imports are lazy so `idsync --help` stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from idsync.config.connections import (
    AtlassianCloudConnection,
    BitbucketConnection,
    ConfluenceConnection,
    CrowdConnection,
    JiraCloudConnection,
    JiraConnection,
    LdapConnection,
    OktaConnection,
    ScimConnection,
    ScimInboundConnection,
)
from idsync.domain.errors import ConfigError

if TYPE_CHECKING:
    from idsync.config.model import IdsyncConfig
    from idsync.domain.records import Capabilities
    from idsync.sources.base import Source
    from idsync.targets.base import Target


def build_source(config: IdsyncConfig, name: str) -> Source:
    """The source connector for connection `name`."""
    conn = _connection(config, name)
    if isinstance(conn, OktaConnection):
        from idsync.sources.okta.source import OktaSource

        return OktaSource(name, conn)
    if isinstance(conn, LdapConnection):
        from idsync.sources.ldap.source import LdapSource

        return LdapSource(name, conn)
    if isinstance(conn, ScimInboundConnection):
        from idsync.sources.scim.inbox_source import ScimInboxSource
        from idsync.store.db import create_store_engine

        return ScimInboxSource(name, create_store_engine(config.database), owns_engine=True)
    kind = getattr(conn, "type", "?")
    raise ConfigError(
        f"connection {name!r} (type {kind!r}) cannot be a source; sources are okta, ldap, scim_inbound"
    )


def build_target(config: IdsyncConfig, name: str) -> Target:
    """The target connector for connection `name`."""
    conn = _connection(config, name)
    if isinstance(conn, JiraConnection):
        from idsync.targets.jira.target import JiraTarget

        return JiraTarget(name, conn)
    if isinstance(conn, ConfluenceConnection):
        from idsync.targets.confluence.target import ConfluenceTarget

        return ConfluenceTarget(name, conn)
    if isinstance(conn, BitbucketConnection):
        from idsync.targets.bitbucket.target import BitbucketTarget

        return BitbucketTarget(name, conn)
    if isinstance(conn, CrowdConnection):
        from idsync.targets.crowd.target import CrowdTarget

        return CrowdTarget(name, conn)
    if isinstance(conn, JiraCloudConnection):
        # only ever opened as a profile's service_desks.connection (the config refuses it in targets:)
        from idsync.targets.jira_cloud.target import JiraCloudTarget

        return JiraCloudTarget(name, conn)
    if isinstance(conn, ScimConnection):
        from idsync.targets.scim.target import ScimTarget, generic_flavour

        return ScimTarget(name, conn, flavour=generic_flavour(conn),
                          custom_attributes=_custom_attributes(config, name))  # fmt: skip
    if isinstance(conn, AtlassianCloudConnection):
        from idsync.targets.cloud.target import cloud_target

        return cloud_target(name, conn, custom_attributes=_custom_attributes(config, name))
    kind = getattr(conn, "type", "?")
    raise ConfigError(
        f"connection {name!r} (type {kind!r}) cannot be a target; "
        "targets are jira, confluence, bitbucket, crowd, scim, atlassian_cloud"
    )


def _custom_attributes(config: IdsyncConfig, target: str) -> frozenset[str]:
    """The `users.custom_attributes` keys of every profile writing to `target` (a SCIM target checks
    them against the server's schemas in `idsync check`)."""
    return frozenset(key for profile in config.profiles.values() if target in profile.targets
                     for key in profile.users.custom_attributes)


def target_capabilities(config: IdsyncConfig, name: str) -> Capabilities:
    """What the target of connection `name` can do, without connecting to it."""
    conn = _connection(config, name)
    if isinstance(conn, JiraConnection):
        from idsync.targets.jira.target import JIRA_CAPABILITIES

        return JIRA_CAPABILITIES
    if isinstance(conn, ConfluenceConnection):
        from idsync.targets.confluence.target import CONFLUENCE_CAPABILITIES

        return CONFLUENCE_CAPABILITIES
    if isinstance(conn, BitbucketConnection):
        from idsync.targets.bitbucket.target import BITBUCKET_CAPABILITIES

        return BITBUCKET_CAPABILITIES
    if isinstance(conn, CrowdConnection):
        from idsync.targets.crowd.target import CROWD_CAPABILITIES

        return CROWD_CAPABILITIES
    if isinstance(conn, ScimConnection):
        from idsync.targets.scim.target import generic_flavour

        return generic_flavour(conn).capabilities()
    if isinstance(conn, AtlassianCloudConnection):
        from idsync.targets.cloud.target import CLOUD_CAPABILITIES

        return CLOUD_CAPABILITIES
    kind = getattr(conn, "type", "?")
    raise ConfigError(f"connection {name!r} (type {kind!r}) is not a target")


def target_notes(config: IdsyncConfig) -> list[str]:
    """What a profile asks of a target that the target cannot do, said once by `idsync check`
    instead of silently dropped: custom attributes where the product has nowhere to put them, lead
    successors where it has no leads."""
    notes: list[str] = []
    for profile_name, profile in sorted(config.profiles.items()):
        for target in profile.targets:
            caps = target_capabilities(config, target)
            attributes = sorted(profile.users.custom_attributes)
            if attributes and not caps.user_properties:
                notes.append(f"profile {profile_name!r}: users.custom_attributes ({', '.join(attributes)}) "
                             f"are ignored for target {target!r}: it has nowhere to put them")
            leads = profile.leads
            wanted = leads.default_project_lead or leads.default_component_lead or target in leads.by_target
            if wanted and not caps.leads:
                notes.append(f"profile {profile_name!r}: leads are ignored for target {target!r}: it has "
                             "no project or component leads")
    return notes


def _connection(config: IdsyncConfig, name: str) -> object:
    try:
        return config.connections[name]
    except KeyError:
        valid = ", ".join(sorted(config.connections)) or "(none)"
        raise ConfigError(f"no connection named {name!r}; connections: {valid}") from None
