"""Single-user reads, "Test Sync" lookups and renames against a real slapd."""

from __future__ import annotations

import uuid

import ldap
import pytest

from idsync.domain.errors import NotFoundError
from idsync.sources.ldap import LdapSource
from idsync.sources.ldap.lookup import lookup_user
from tests.fixtures.slapd import ADMIN_DN, ADMIN_PW, BASE, SlapdServer, ad_guid, entry_uuid
from tests.sources.ldap.conftest import ad_conn, openldap_conn

pytestmark = pytest.mark.slapd


def _admin(server: SlapdServer) -> ldap.ldapobject.LDAPObject:
    ld = ldap.initialize(server.url)
    ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
    return ld


async def test_read_user_walks_nested_groups_up_through_a_cycle(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        snapshot = await source.read_user("u00020")
    finally:
        await source.aclose()
    assert snapshot.single_user == entry_uuid("u00020")
    assert list(snapshot.users) == [entry_uuid("u00020")]
    assert {g.name for g in snapshot.groups.values()} == {"leaf", "eng", "staff"}
    assert all(g.member_ids == {entry_uuid("u00020")} for g in snapshot.groups.values())


async def test_read_user_finds_posix_and_unique_member_groups(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        posix = await source.read_user("u00041")
        unique = await source.read_user("u00031")
    finally:
        await source.aclose()
    assert [g.name for g in posix.groups.values()] == ["posix"]
    assert [g.name for g in unique.groups.values()] == ["unique"]


async def test_read_user_unknown_login_is_not_found(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        with pytest.raises(NotFoundError, match="no user with uid='nobody'"):
            await source.read_user("nobody")
        with pytest.raises(NotFoundError):  # filter characters are escaped, not interpreted
            await source.read_user("u0000*")
    finally:
        await source.aclose()


async def test_ad_read_user_falls_back_to_the_recursive_walk_on_a_non_ad_server(slapd: SlapdServer) -> None:
    source = LdapSource("ad", ad_conn(slapd.url))  # in_chain: auto → the root DSE is not AD's
    try:
        snapshot = await source.read_user("ad00005")
    finally:
        await source.aclose()
    assert {g.name for g in snapshot.groups.values()} == {"ADEng", "ADStaff"}


async def test_lookup_shows_raw_attributes_the_record_and_groups(slapd: SlapdServer) -> None:
    result = await lookup_user("corp", openldap_conn(slapd.url), "u00031")
    assert result.dn == f"uid=u00031,ou=people,{BASE}"
    assert result.raw["mail"] == ["u00031@example.com", "u00031.alt@example.com"]
    assert result.raw["entryUUID"] == [entry_uuid("u00031")]
    assert result.user.id == entry_uuid("u00031")
    assert result.user.attributes["login"] == "u00031"
    assert result.groups == ("unique",)


async def test_ad_lookup_decodes_the_guid_and_reports_disabled(slapd: SlapdServer) -> None:
    result = await lookup_user("ad", ad_conn(slapd.url), "ad00003")
    guid = str(uuid.UUID(bytes_le=ad_guid("ad00003")))
    assert result.raw["objectGUID"] == [guid]
    assert result.raw["userAccountControl"] == ["514"]
    assert result.user.status == "DISABLED"
    assert result.groups == ("ADStaff",)


async def test_lookup_of_an_unknown_user_is_not_found(slapd: SlapdServer) -> None:
    with pytest.raises(NotFoundError):
        await lookup_user("corp", openldap_conn(slapd.url), "zz-nobody")


async def test_openldap_rename_keeps_the_entry_uuid(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(fresh_slapd.url))
    try:
        before = await source.read()
        admin = _admin(fresh_slapd)
        admin.rename_s(f"uid=u00010,ou=people,{BASE}", "uid=renamed10", delold=1)
        admin.modify_s(
            f"cn=eng,ou=groups,{BASE}",
            [
                (ldap.MOD_DELETE, "member", [f"uid=u00010,ou=people,{BASE}".encode()]),
                (ldap.MOD_ADD, "member", [f"uid=renamed10,ou=people,{BASE}".encode()]),
            ],
        )
        admin.unbind_s()
        after = await source.read()
    finally:
        await source.aclose()
    uid = entry_uuid("u00010")
    assert before.users[uid].attributes["login"] == "u00010"
    assert after.users[uid].attributes["login"] == "renamed10"
    assert set(after.users) == set(before.users)
    eng = after.groups[entry_uuid("eng")]
    assert uid in eng.member_ids


async def test_ad_rename_keeps_the_object_guid(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("ad", ad_conn(fresh_slapd.url))
    old_dn = f"cn=AD User 5,ou=ad,{BASE}"
    try:
        before = await source.read()
        admin = _admin(fresh_slapd)
        admin.rename_s(old_dn, "cn=Ann Renamed", delold=1)
        admin.modify_s(
            f"cn=Ann Renamed,ou=ad,{BASE}", [(ldap.MOD_REPLACE, "sAMAccountName", [b"ann.renamed"])]
        )
        admin.unbind_s()
        after = await source.read()
    finally:
        await source.aclose()
    guid = str(uuid.UUID(bytes_le=ad_guid("ad00005")))
    assert before.users[guid].attributes["login"] == "ad00005"
    assert after.users[guid].attributes["login"] == "ann.renamed"
    assert after.users[guid].attributes["dn"] == f"cn=Ann Renamed,ou=ad,{BASE}"
    assert set(after.users) == set(before.users)
