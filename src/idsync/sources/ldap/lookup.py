""" "Test Sync" (`idsync user lookup <connection> <username>`): one user's raw LDAP attributes, the
SourceUser idsync builds from them, and the groups (nested included) the user would get.

The CLI maps `result.user` through the profile's rules to show the user idsync would write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from idsync.config.connections import LdapConnection
from idsync.domain.records import SourceUser
from idsync.sources.ldap.client import LdapClient
from idsync.sources.ldap.entries import decode_values, to_source_user
from idsync.sources.ldap.source import LdapSource


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the directory holds for one username, and how idsync reads it."""

    connection: str
    dn: str
    raw: Mapping[str, list[str]]
    """Every attribute the server returned, every value as text (binary ids decoded), by server name."""
    user: SourceUser
    """The record the rules see (raw attributes plus login/email/firstName/lastName/displayName/dn)."""
    groups: tuple[str, ...]
    """Names of the groups in scope that hold the user, directly or through nesting; sorted."""


async def lookup_user(name: str, conn: LdapConnection, username: str) -> LookupResult:
    """Look one user up by login; raises NotFoundError when no user in scope has that login."""
    source = LdapSource(name, conn)
    try:
        return await source.run_sync(lambda client: _lookup(source, client, username))
    finally:
        await source.aclose()


def _lookup(source: LdapSource, client: LdapClient, username: str) -> LookupResult:
    dn, raw = source.find_user_sync(client, username)
    user = to_source_user(dn, raw, source.flavor)
    groups = source.groups_of_sync(client, dn, str(user.attr("login") or username), user.id)
    return LookupResult(
        connection=source.name,
        dn=dn,
        raw={attr: decode_values(attr, values, source.flavor) for attr, values in sorted(raw.items())},
        user=user,
        groups=tuple(sorted(g.name for g in groups)),
    )
