"""Unit tests of the flavour quirks on the raw values and result tuples python-ldap returns. The
AD-only forms (ranged `member;range=…` values, the in-chain rule, binary GUIDs/SIDs) are tested here
on tuples, where every corner (a range that stops early, a short GUID) can be built, and live against
Samba's AD DC in test_ad_live.py; slapd cannot produce them."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping

import pytest

from idsync.config.connections import LdapConnection
from idsync.domain.errors import SourceReadError
from idsync.sources.ldap.entries import norm_dn, to_raw_group, to_source_user
from idsync.sources.ldap.flavors import flavor_for, openldap
from idsync.sources.ldap.flavors.active_directory import (
    FLAVOR as AD,
)
from idsync.sources.ldap.flavors.active_directory import (
    collect_ranged,
    guid_to_str,
    ignorable_reference,
    in_chain_filter,
    parse_range,
    sid_to_str,
    user_status,
)

GROUP_DN = "CN=Big,OU=Groups,DC=corp,DC=example,DC=com"


def _members(start: int, stop: int) -> list[bytes]:
    return [f"CN=U{i},OU=People,DC=corp,DC=example,DC=com".encode() for i in range(start, stop)]


def test_guid_is_decoded_little_endian() -> None:
    # objectGUID as AD returns it for {b9f0d2f8-1c2b-4a43-9b62-1d0f6d7b2c11}
    raw = uuid.UUID("b9f0d2f8-1c2b-4a43-9b62-1d0f6d7b2c11").bytes_le
    assert raw[:4] == bytes.fromhex("f8d2f0b9")
    assert guid_to_str(raw) == "b9f0d2f8-1c2b-4a43-9b62-1d0f6d7b2c11"
    with pytest.raises(SourceReadError, match="16 bytes"):
        guid_to_str(b"short")


def test_sid_is_decoded() -> None:
    raw = base64.b64decode("AQUAAAAAAAUVAAAAqsxrS3S7I1PS0icnUAQAAA==")
    assert sid_to_str(raw) == "S-1-5-21-1265355946-1394850676-656921298-1104"


@pytest.mark.parametrize(
    ("uac", "status"),
    [(b"512", "ACTIVE"), (b"514", "DISABLED"), (b"66050", "DISABLED"), (b"66048", "ACTIVE")],
)
def test_user_account_control_disabled_bit(uac: bytes, status: str) -> None:
    assert user_status("CN=x", {"useraccountcontrol": [uac]}) == status


def test_user_account_control_garbage_fails_naming_the_entry() -> None:
    with pytest.raises(SourceReadError, match=r"userAccountControl of 'CN=x' is b'abc'"):
        user_status("CN=x", {"useraccountcontrol": [b"abc"]})


def test_openldap_ppolicy_lock_is_disabled() -> None:
    assert openldap.user_status("uid=a", {"pwdaccountlockedtime": [b"000001010000Z"]}) == "DISABLED"
    assert openldap.user_status("uid=a", {}) == "ACTIVE"


def test_parse_range() -> None:
    assert parse_range("member;range=0-1499") == ("member", 0, 1499)
    assert parse_range("Member;Range=1500-*") == ("Member", 1500, None)
    assert parse_range("member") is None


def test_ranged_member_retrieval_follows_ranges_to_the_star() -> None:
    # what python-ldap returns for a 3,200-member group: an empty `member` and the first range
    first: dict[str, list[bytes]] = {"cn": [b"Big"], "member": [], "member;range=0-1499": _members(0, 1500)}
    pages: Mapping[str, dict[str, list[bytes]]] = {
        "member;range=1500-*": {"member;range=1500-2999": _members(1500, 3000)},
        "member;range=3000-*": {"member;range=3000-*": _members(3000, 3200)},
    }
    asked: list[str] = []

    def fetch(dn: str, description: str) -> dict[str, list[bytes]]:
        assert dn == GROUP_DN
        asked.append(description)
        return pages[description]

    values = collect_ranged(GROUP_DN, first, "member", fetch)
    assert values == _members(0, 3200)
    assert asked == ["member;range=1500-*", "member;range=3000-*"]


def test_ranged_retrieval_that_stops_early_fails_the_read() -> None:
    first = {"member;range=0-1499": _members(0, 1500)}
    with pytest.raises(SourceReadError, match="stopped at 1500 values"):
        collect_ranged(GROUP_DN, first, "member", lambda dn, d: {})


def test_plain_members_need_no_range_requests() -> None:
    def fetch(dn: str, description: str) -> dict[str, list[bytes]]:
        raise AssertionError("no range request expected")

    assert collect_ranged(GROUP_DN, {"member": _members(0, 3)}, "member", fetch) == _members(0, 3)


def test_in_chain_filter_escapes_the_dn() -> None:
    dn = "CN=Smith\\, John (x*),OU=People,DC=corp,DC=com"
    assert in_chain_filter("member", dn) == (
        "(member:1.2.840.113556.1.4.1941:=CN=Smith\\5c, John \\28x\\2a\\29,OU=People,DC=corp,DC=com)"
    )


def test_ad_application_partition_references_are_ignorable() -> None:
    assert ignorable_reference(
        "ldap://DomainDnsZones.corp.example.com/DC=DomainDnsZones,DC=corp,DC=example,DC=com"
    )
    assert ignorable_reference("ldap://corp.example.com/CN=Configuration,DC=corp,DC=example,DC=com")
    assert not ignorable_reference("ldap://child.corp.example.com/DC=child,DC=corp,DC=example,DC=com")
    assert not openldap.ignorable_reference("ldap://other/dc=example,dc=com")


def test_ad_user_entry_as_python_ldap_returns_it() -> None:
    guid = uuid.uuid4()
    raw = {
        "objectGUID": [guid.bytes_le],
        "sAMAccountName": [b"jdoe"],
        "userPrincipalName": [b"jdoe@corp.example.com"],
        "mail": [b"john.doe@example.com"],
        "givenName": [b"John"],
        "sn": [b"Doe"],
        "displayName": [b"John Doe"],
        "userAccountControl": [b"514"],
        "memberOf": [b"CN=A,DC=corp", b"CN=B,DC=corp"],
        "thumbnailPhoto": [b"\xff\xd8\xff\xe0"],
    }
    user = to_source_user("CN=John Doe,OU=People,DC=corp", raw, AD)
    assert user.id == str(guid)
    assert user.status == "DISABLED"
    assert user.attributes["login"] == "jdoe"
    assert user.attributes["memberOf"] == ["CN=A,DC=corp", "CN=B,DC=corp"]
    assert user.attributes["thumbnailPhoto"] == base64.b64encode(b"\xff\xd8\xff\xe0").decode()
    assert (user.attributes["firstName"], user.attributes["lastName"]) == ("John", "Doe")


def test_an_entry_without_its_id_fails_the_read() -> None:
    with pytest.raises(SourceReadError, match="has no objectGUID"):
        to_source_user("CN=x", {"sAMAccountName": [b"x"]}, AD)


def test_group_member_dns_are_normalised_and_unique_member_suffix_stripped() -> None:
    raw = {"cn": [b"g"], "entryUUID": [b"1"], "uniqueMember": []}
    group = to_raw_group(
        "cn=g,dc=x", raw, [b"UID=A, OU=People,DC=X", b"uid=b,ou=people,dc=x#'0101'B"], openldap.FLAVOR
    )
    assert group.member_dns == ("uid=a,ou=people,dc=x", "uid=b,ou=people,dc=x")
    assert norm_dn("CN=Smith\\2C John,DC=X") == norm_dn("cn=Smith\\, John,dc=x")


def test_attribute_overrides_replace_the_flavour_defaults() -> None:
    conn = LdapConnection.model_validate(
        {
            "type": "ldap",
            "url": "ldap://127.0.0.1:389",
            "user_base": "dc=x",
            "flavor": "active_directory",
            "attributes": {"login": "userPrincipalName", "id": "objectSid", "display_name": "cn"},
        }
    )
    flavor = flavor_for(conn)
    assert (flavor.login_attribute, flavor.id_attribute, flavor.display_name_attributes) == (
        "userPrincipalName",
        "objectSid",
        ("cn",),
    )
    assert "objectSid" in flavor.user_attributes()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "http://dc1"}, "must be an ldap:// or ldaps:// URL, got 'http://dc1'"),
        ({"url": "ldaps://dc1", "start_tls": True}, "start_tls: true needs an ldap:// URL"),
        ({"bind_dn": "cn=x"}, "give both bind_dn: and password:"),
        ({"flavor": "novell"}, "openldap"),
        ({"attributes": {"logn": "uid"}}, "logn"),
    ],
)
def test_connection_validation_names_the_problem(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"type": "ldap", "url": "ldap://dc1", "user_base": "dc=x"}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        LdapConnection.model_validate({**base, **fields})
