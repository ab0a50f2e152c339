"""Connection builders for the LDAP tests (the slapd fixtures live in tests/fixtures/slapd.py)."""

from __future__ import annotations

from typing import Any

from idsync.config.connections import LdapConnection
from tests.fixtures.samba import ADMIN_PW as SAMBA_ADMIN_PW
from tests.fixtures.samba import ADMIN_USER as SAMBA_ADMIN
from tests.fixtures.slapd import BASE, READER_DN, READER_PW


def openldap_conn(url: str, **overrides: Any) -> LdapConnection:
    """The OpenLDAP-flavoured connection to the test directory as the limited reader account."""
    fields: dict[str, Any] = {
        "type": "ldap",
        "url": url,
        "bind_dn": READER_DN,
        "password": READER_PW,
        "flavor": "openldap",
        "user_base": f"ou=people,{BASE}",
        "group_base": f"ou=groups,{BASE}",
        "page_size": 40,
        "timeout": 10,
    }
    fields.update(overrides)
    return LdapConnection.model_validate(fields)


def ad_conn(url: str, **overrides: Any) -> LdapConnection:
    """The AD-flavoured connection to the AD-like subtree, with the flavour's default filters."""
    fields: dict[str, Any] = {
        "type": "ldap",
        "url": url,
        "bind_dn": READER_DN,
        "password": READER_PW,
        "flavor": "active_directory",
        "user_base": f"ou=ad,{BASE}",
        "group_base": f"ou=ad,{BASE}",
        "page_size": 5,
        "timeout": 10,
    }
    fields.update(overrides)
    return LdapConnection.model_validate(fields)


def samba_conn(url: str, base: str, **overrides: Any) -> LdapConnection:
    """The AD-flavoured connection to a Samba AD DC, users and groups under `base`, as Administrator."""
    fields: dict[str, Any] = {
        "type": "ldap",
        "url": url,
        "bind_dn": SAMBA_ADMIN,
        "password": SAMBA_ADMIN_PW,
        "flavor": "active_directory",
        "user_base": base,
        "group_base": base,
        "page_size": 2,
        "timeout": 10,
    }
    fields.update(overrides)
    return LdapConnection.model_validate(fields)
