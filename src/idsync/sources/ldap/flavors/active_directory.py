"""Active Directory quirks: objectGUID / objectSid are binary, userAccountControl carries the
disabled bit, large groups come back as ranged `member;range=0-1499` values that must be fetched in
further base searches, and nested membership has its own matching rule (LDAP_MATCHING_RULE_IN_CHAIN).
"""

from __future__ import annotations

import base64
import re
import struct
import uuid
from collections.abc import Callable, Mapping

from ldap.filter import escape_filter_chars

from idsync.domain.errors import SourceReadError
from idsync.sources.ldap.flavors import Flavor, LowerAttrs, RawValues

IN_CHAIN_RULE = "1.2.840.113556.1.4.1941"
"""LDAP_MATCHING_RULE_IN_CHAIN: walks the member/memberOf chain to the root on the server."""
AD_CAPABILITY_OID = "1.2.840.113556.1.4.800"
"""LDAP_CAP_ACTIVE_DIRECTORY_OID, listed in the root DSE's supportedCapabilities by AD DCs."""
UF_ACCOUNTDISABLE = 0x2

_RANGE = re.compile(r"^(?P<attr>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.IGNORECASE)


def guid_to_str(value: bytes) -> str:
    """objectGUID (16 bytes, little-endian first three fields) → canonical GUID text."""
    if len(value) != 16:
        raise SourceReadError(f"objectGUID must be 16 bytes, got {len(value)} bytes")
    return str(uuid.UUID(bytes_le=value))


def sid_to_str(value: bytes) -> str:
    """objectSid (binary) → S-1-5-21-… text."""
    if len(value) < 8:
        raise SourceReadError(f"objectSid must be at least 8 bytes, got {len(value)} bytes")
    revision, count = value[0], value[1]
    authority = int.from_bytes(value[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", value, 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])


def decode_binary(name: str, value: bytes) -> str | None:
    """objectGUID and objectSid as their text forms; other binary values as base64."""
    if name == "objectguid":
        return guid_to_str(value)
    if name == "objectsid":
        return sid_to_str(value)
    return base64.b64encode(value).decode("ascii")


def user_status(dn: str, attrs: LowerAttrs) -> str:
    """DISABLED when userAccountControl has the ACCOUNTDISABLE bit (0x2), else ACTIVE."""
    values = attrs.get("useraccountcontrol")
    if not values:
        return "ACTIVE"
    try:
        flags = int(values[0])
    except ValueError:
        raise SourceReadError(
            f"userAccountControl of {dn!r} is {values[0]!r}; expected an integer such as 512 or 514"
        ) from None
    return "DISABLED" if flags & UF_ACCOUNTDISABLE else "ACTIVE"


def in_chain_filter(attribute: str, dn: str) -> str:
    """`(member:1.2.840.113556.1.4.1941:=<dn>)`: every group that holds `dn` directly or through nesting."""
    return f"({attribute}:{IN_CHAIN_RULE}:={escape_filter_chars(dn)})"


def parse_range(name: str) -> tuple[str, int, int | None] | None:
    """`member;range=0-1499` → ("member", 0, 1499); `member;range=1500-*` → ("member", 1500, None)."""
    match = _RANGE.match(name)
    if match is None:
        return None
    high = match["high"]
    return match["attr"], int(match["low"]), None if high == "*" else int(high)


RangeFetch = Callable[[str, str], Mapping[str, RawValues]]
"""Base search of one DN for one attribute description (e.g. `member;range=1500-*`) → its attributes."""


def collect_ranged(dn: str, attrs: Mapping[str, RawValues], attribute: str, fetch: RangeFetch) -> RawValues:
    """All values of `attribute`, following AD's range retrieval until the range ends in `*`.

    AD returns at most MaxValRange values (1500 by default) as `member;range=0-1499` and an empty
    `member`; the rest needs base searches asking for `member;range=1500-*`, and so on. A server that
    stops answering with a range before the `*` end fails the read: a partial group is never used.
    """
    wanted = attribute.lower()
    plain: RawValues = []
    values: RawValues = []
    ranged: tuple[str, int, int | None] | None = None
    for name, vals in attrs.items():
        parsed = parse_range(name)
        if parsed and parsed[0].lower() == wanted:
            ranged, values = parsed, list(vals)
        elif name.lower() == wanted:
            plain = list(vals)
    if ranged is None:
        return plain
    while ranged[2] is not None:
        start = ranged[2] + 1
        page = fetch(dn, f"{attribute};range={start}-*")
        next_range = None
        for name, vals in page.items():
            parsed = parse_range(name)
            if parsed and parsed[0].lower() == wanted:
                next_range = parsed
                values.extend(vals)
        if next_range is None or next_range[1] != start:
            raise SourceReadError(
                f"range retrieval of {attribute} on {dn!r} stopped at {start} values without a final "
                f"'{attribute};range={start}-*' answer; the group cannot be read completely"
            )
        ranged = next_range
    return values


_APPLICATION_PARTITIONS = ("dc=domaindnszones,", "dc=forestdnszones,", "cn=configuration,")


def ignorable_reference(url: str) -> bool:
    """AD answers a subtree search at the domain root with references to its DNS and configuration
    partitions; they never hold users, so they are skipped. Any other reference fails the read."""
    target = url.split("/", 3)[-1].lower() if url.lower().startswith("ldap") else url.lower()
    return target.startswith(_APPLICATION_PARTITIONS)


FLAVOR = Flavor(
    name="active_directory",
    user_filter="(&(objectCategory=person)(objectClass=user))",
    group_filter="(objectClass=group)",
    id_attribute="objectGUID",
    login_attribute="sAMAccountName",
    email_attribute="mail",
    first_name_attribute="givenName",
    last_name_attribute="sn",
    display_name_attributes=("displayName", "cn"),
    group_name_attribute="cn",
    member_attributes=("member",),
    member_uid_attribute=None,
    change_attribute="uSNChanged",
    change_is_counter=True,
    operational_attributes=("objectGUID", "uSNChanged"),
    decode_binary=decode_binary,
    user_status=user_status,
    supports_in_chain=True,
    ignorable_reference=ignorable_reference,
)
