"""The LDAP / Active Directory source (python-ldap, run off the event loop)."""

from idsync.sources.ldap.source import LdapSource

__all__ = ["LdapSource"]
