"""Full reads from a real slapd, both flavours: paging past the size limit, attributes, status,
groups (groupOfNames, groupOfUniqueNames, posixGroup, AD group), nested groups with a cycle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from idsync.domain.errors import ConfigError, SourceReadError
from idsync.domain.records import Snapshot
from idsync.sources.ldap import LdapSource
from tests.fixtures.slapd import (
    AD_DISABLED,
    AD_USERS,
    BASE,
    CAPPED_DN,
    CAPPED_PW,
    OPENLDAP_USERS,
    PAGE_LIMIT,
    SlapdServer,
    ad_guid,
    entry_uuid,
)
from tests.sources.ldap.conftest import ad_conn, openldap_conn

pytestmark = pytest.mark.slapd


@pytest.fixture
async def openldap_snapshot(slapd: SlapdServer) -> AsyncIterator[Snapshot]:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        yield await source.read()
    finally:
        await source.aclose()


def _by_login(snapshot: Snapshot) -> dict[str, str]:
    return {str(u.attributes["login"]): u.id for u in snapshot.users.values()}


def _groups(snapshot: Snapshot) -> dict[str, set[str]]:
    logins = {u.id: str(u.attributes["login"]) for u in snapshot.users.values()}
    return {g.name: {logins[m] for m in g.member_ids} for g in snapshot.groups.values()}


async def test_paged_read_gets_every_user_past_the_accounts_size_limit(openldap_snapshot: Snapshot) -> None:
    assert OPENLDAP_USERS > PAGE_LIMIT  # the reader may get only PAGE_LIMIT per page / plain search
    assert len(openldap_snapshot.users) == OPENLDAP_USERS
    assert set(_by_login(openldap_snapshot)) == {f"u{i:05d}" for i in range(OPENLDAP_USERS)}


async def test_openldap_user_attributes_and_id(openldap_snapshot: Snapshot) -> None:
    user = openldap_snapshot.users[entry_uuid("u00007")]
    assert user.status == "ACTIVE"
    attrs = user.attributes
    assert attrs["uid"] == "u00007"
    assert attrs["mail"] == ["u00007@example.com", "u00007.alt@example.com"]  # multi-valued → list
    assert attrs["entryUUID"] == entry_uuid("u00007")
    assert (attrs["login"], attrs["email"], attrs["firstName"], attrs["lastName"]) == (
        "u00007",
        "u00007@example.com",
        "User",
        "Number7",
    )
    assert attrs["displayName"] == "User 7"  # no displayName attribute: falls back to cn
    assert attrs["dn"] == f"uid=u00007,ou=people,{BASE}"


async def test_openldap_groups_nested_with_a_cycle(openldap_snapshot: Snapshot) -> None:
    groups = _groups(openldap_snapshot)
    core = {"u00000", "u00001", "u00002"}
    # staff ∋ eng ∋ leaf and eng ∋ staff: the cycle is cut, both see everything reachable
    assert groups["leaf"] == {"u00020"}  # the dangling uid=nobody member is ignored
    assert groups["eng"] == core | {"u00010", "u00020"}
    assert groups["staff"] == core | {"u00010", "u00020"}
    assert groups["unique"] == {"u00030", "u00031"}  # uniqueMember with a #'0101'B suffix
    assert groups["posix"] == {"u00040", "u00041"}  # memberUid; the unknown "ghost" is ignored
    assert openldap_snapshot.groups[entry_uuid("staff")].name == "staff"


async def test_nested_groups_off_gives_direct_members(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, nested_groups=False))
    try:
        groups = _groups(await source.read())
    finally:
        await source.aclose()
    assert groups["staff"] == {"u00000", "u00001", "u00002"}
    assert groups["eng"] == {"u00010"}


async def test_active_directory_flavour_defaults(slapd: SlapdServer) -> None:
    source = LdapSource("ad", ad_conn(slapd.url))
    try:
        snapshot = await source.read()
    finally:
        await source.aclose()
    assert len(snapshot.users) == AD_USERS
    import uuid

    guid = str(uuid.UUID(bytes_le=ad_guid("ad00003")))
    user = snapshot.users[guid]
    assert user.attributes["objectGUID"] == guid  # binary → canonical GUID text
    assert user.attributes["login"] == "ad00003"
    assert user.attributes["userPrincipalName"] == "ad00003@corp.example.com"
    assert user.attributes["displayName"] == "Ann Ad3"
    assert user.attributes["memberOf"] == f"cn=ADStaff,ou=ad,{BASE}"
    disabled = {str(u.attributes["login"]) for u in snapshot.users.values() if u.status == "DISABLED"}
    assert disabled == set(AD_DISABLED)  # userAccountControl 514 has the 0x2 bit; 512 does not
    groups = _groups(snapshot)
    assert groups["ADEng"] == {"ad00005", "ad00006"}
    assert groups["ADStaff"] == {"ad00000", "ad00001", "ad00002", "ad00003", "ad00005", "ad00006"}


async def test_a_capped_account_fails_the_read_instead_of_returning_fewer_users(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, bind_dn=CAPPED_DN, password=CAPPED_PW))
    try:
        with pytest.raises(SourceReadError, match="size limit"):
            await source.read()
    finally:
        await source.aclose()


async def test_page_size_above_the_servers_page_limit_fails(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, page_size=PAGE_LIMIT + 50))
    try:
        with pytest.raises(SourceReadError, match="size limit"):
            await source.read()
    finally:
        await source.aclose()


async def test_wrong_password_names_the_bind_dn_but_not_the_password(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, password="hunter2-wrong"))
    with pytest.raises(SourceReadError) as caught:
        await source.read()
    assert "cn=reader" in str(caught.value)
    assert "invalid credentials" in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_bad_filter_is_a_config_error_naming_the_key(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, user_filter="(objectClass=inetOrgPerson"))
    try:
        with pytest.raises(
            ConfigError, match=r"connections\.corp\.user_filter: '\(objectClass=inetOrgPerson'"
        ):
            await source.read()
    finally:
        await source.aclose()


async def test_missing_base_fails(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, user_base=f"ou=nowhere,{BASE}"))
    try:
        with pytest.raises(SourceReadError, match="No such object"):
            await source.read()
    finally:
        await source.aclose()


async def test_check_describes_the_connection(slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url))
    try:
        text = await source.check()
    finally:
        await source.aclose()
    assert "bound as cn=reader,dc=example,dc=com" in text
    assert f"user_base ou=people,{BASE} visible" in text
