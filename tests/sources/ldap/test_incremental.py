"""Incremental reads against a real slapd: modifyTimestamp (OpenLDAP), uSNChanged (AD-like entries,
whose USNs the test sets as AD would), periodic full reads that reveal deletions, cursor errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import ldap
import pytest

from idsync.domain.errors import ConfigError, SourceReadError
from idsync.sources.changes import IncrementalSource
from idsync.sources.ldap import LdapSource
from idsync.sources.ldap.incremental import CLOCK_SKEW_MARGIN, Cursor, read_changes
from tests.fixtures.slapd import (
    AD_USERS,
    ADMIN_DN,
    ADMIN_PW,
    BASE,
    CAPPED_DN,
    CAPPED_PW,
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


async def test_created_and_modified_users_through_the_source_method(fresh_slapd: SlapdServer) -> None:
    """`LdapSource.read_changes` (what the engine calls): a created and a modified user both come back,
    and a cursor is never later than this clock minus the skew margin, so changes made during a read,
    in the same second or later, come again next time."""
    source = LdapSource("corp", openldap_conn(fresh_slapd.url))
    assert isinstance(source, IncrementalSource)
    try:
        first = await source.read_changes("")
        assert first.full is not None
        admin = _admin(fresh_slapd)
        admin.add_s(
            f"uid=newbie,ou=people,{BASE}",
            [
                ("objectClass", [b"inetOrgPerson"]),
                ("uid", [b"newbie"]),
                ("cn", [b"New Bie"]),
                ("sn", [b"Bie"]),
                ("mail", [b"newbie@example.com"]),
            ],
        )
        admin.modify_s(f"uid=u00007,ou=people,{BASE}", [(ldap.MOD_REPLACE, "mail", [b"seven@example.com"])])
        admin.unbind_s()
        before = datetime.now(UTC)
        second = await source.read_changes(first.cursor)
        assert second.full is None and second.groups is None
        logins = {u.attr("login") for u in second.users.values()}
        assert {"newbie", "u00007"} <= logins
        assert logins <= {"newbie", "u00007", "u00249"}  # u00249: stamped in the first cursor's second
        mark = Cursor.parse(second.cursor).value
        assert mark <= (before - CLOCK_SKEW_MARGIN).strftime("%Y%m%d%H%M%SZ")
        third = await source.read_changes(second.cursor)
        assert {"newbie", "u00007"} <= {u.attr("login") for u in third.users.values()}  # within the margin
    finally:
        await source.aclose()


async def test_a_stopped_server_fails_the_incremental_read(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(fresh_slapd.url))
    try:
        first = await source.read_changes("")
        fresh_slapd.stop()
        with pytest.raises(SourceReadError, match="failed or was lost"):
            await source.read_changes(first.cursor)
    finally:
        await source.aclose()


async def test_a_size_limit_fails_the_incremental_read(
    fresh_slapd: SlapdServer,
) -> None:
    """A group changed: its members are resolved against every user in scope. The capped account may
    read 150 of the 250, so the read fails rather than returning groups with members missing."""
    capped = openldap_conn(fresh_slapd.url, bind_dn=CAPPED_DN, password=CAPPED_PW)
    source = LdapSource("corp", capped)
    try:
        with pytest.raises(SourceReadError, match="size limit"):
            await source.read_changes("")
        cursor = str(Cursor("modifyTimestamp", "20240101000409Z", datetime.now(UTC)))
        quiet = await source.read_changes(cursor)  # nothing changed: 1 user at most, within the cap
        assert quiet.groups is None
        admin = _admin(fresh_slapd)
        admin.modify_s(
            f"cn=leaf,ou=groups,{BASE}", [(ldap.MOD_ADD, "member", [f"uid=u00100,ou=people,{BASE}".encode()])]
        )
        admin.unbind_s()
        with pytest.raises(SourceReadError, match="size limit"):
            await source.read_changes(cursor)
    finally:
        await source.aclose()
