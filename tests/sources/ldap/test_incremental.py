"""Incremental reads against a real slapd: modifyTimestamp (OpenLDAP), uSNChanged (AD-like entries,
whose USNs the test sets as AD would), periodic full reads that reveal deletions, cursor errors."""

from __future__ import annotations

import uuid
from datetime import timedelta

import ldap
import pytest

from idsync.domain.errors import ConfigError
from idsync.sources.ldap import LdapSource
from idsync.sources.ldap.incremental import Cursor, read_changes
from tests.fixtures.slapd import (
    AD_USERS,
    ADMIN_DN,
    ADMIN_PW,
    BASE,
    OPENLDAP_USERS,
    SlapdServer,
    ad_guid,
    entry_uuid,
)
from tests.sources.ldap.conftest import ad_conn, openldap_conn

pytestmark = pytest.mark.slapd


def _admin(server: SlapdServer) -> ldap.ldapobject.LDAPObject:
    ld = ldap.initialize(server.url)
    ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
    return ld


async def test_openldap_changes_since_a_full_read(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(fresh_slapd.url))
    try:
        first = await read_changes(source, "")
        assert first.full is not None
        assert len(first.users) == OPENLDAP_USERS
        cursor = Cursor.parse(first.cursor)
        assert (cursor.attribute, cursor.value) == ("modifyTimestamp", "20240101000409Z")  # u00249's stamp

        admin = _admin(fresh_slapd)
        admin.modify_s(f"uid=u00005,ou=people,{BASE}", [(ldap.MOD_REPLACE, "sn", [b"Changed"])])
        admin.delete_s(f"uid=u00009,ou=people,{BASE}")
        admin.unbind_s()

        second = await read_changes(source, first.cursor)
        assert second.full is None
        assert second.groups is None  # no group changed
        # the change, plus the entry stamped in the cursor's own second (inclusive cursor: never missed)
        assert set(second.users) == {entry_uuid("u00005"), entry_uuid("u00249")}
        assert second.users[entry_uuid("u00005")].attributes["lastName"] == "Changed"
        assert Cursor.parse(second.cursor).value > cursor.value

        admin = _admin(fresh_slapd)
        admin.modify_s(
            f"cn=leaf,ou=groups,{BASE}", [(ldap.MOD_ADD, "member", [f"uid=u00100,ou=people,{BASE}".encode()])]
        )
        admin.unbind_s()
        third = await read_changes(source, second.cursor)
        assert third.groups is not None
        logins = {entry_uuid(f"u{i:05d}") for i in (100, 20, 0, 1, 2, 10)}
        assert third.groups[entry_uuid("staff")].member_ids == logins  # nested resolution, all groups

        # the deletion is invisible to incremental reads and shows in the periodic full read
        later = Cursor.parse(third.cursor).full_at + timedelta(hours=25)
        fourth = await read_changes(source, third.cursor, now=later)
        assert fourth.full is not None
        assert entry_uuid("u00009") not in fourth.full.users
        assert len(fourth.full.users) == OPENLDAP_USERS - 1
        assert Cursor.parse(fourth.cursor).full_at == later
    finally:
        await source.aclose()


async def test_ad_changes_by_usn(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("ad", ad_conn(fresh_slapd.url))
    try:
        first = await read_changes(source, "")
        assert len(first.users) == AD_USERS
        assert Cursor.parse(first.cursor).value == "2001"  # highest uSNChanged seen (groups: 2000, 2001)

        admin = _admin(fresh_slapd)  # what AD does on a change: bump uSNChanged
        admin.modify_s(
            f"cn=AD User 8,ou=ad,{BASE}",
            [
                (ldap.MOD_REPLACE, "mail", [b"new@corp.example.com"]),
                (ldap.MOD_REPLACE, "uSNChanged", [b"2002"]),
            ],
        )
        admin.unbind_s()
        second = await read_changes(source, first.cursor)
        guid = str(uuid.UUID(bytes_le=ad_guid("ad00008")))
        assert set(second.users) == {guid}  # USN cursors are exclusive: nothing repeated
        assert second.users[guid].attributes["email"] == "new@corp.example.com"
        assert second.groups is None
        assert Cursor.parse(second.cursor).value == "2002"

        third = await read_changes(source, second.cursor)
        assert (dict(third.users), third.groups, Cursor.parse(third.cursor).value) == ({}, None, "2002")
    finally:
        await source.aclose()


async def test_cursor_errors_name_the_value(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        with pytest.raises(ConfigError, match="'garbage' is malformed"):
            await read_changes(source, "garbage")
        with pytest.raises(ConfigError, match="tracks uSNChanged"):
            await read_changes(source, "uSNChanged=5;full=2024-01-01T00:00:00+00:00")
    finally:
        await source.aclose()
