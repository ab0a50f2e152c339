"""OpenLDAP / 389-ds defaults: inetOrgPerson users, entryUUID ids, groupOfNames / groupOfUniqueNames /
posixGroup groups, modifyTimestamp for incremental reads, ppolicy lock as "disabled"."""

from __future__ import annotations

import base64

from idsync.sources.ldap.flavors import Flavor, LowerAttrs


def decode_binary(name: str, value: bytes) -> str | None:
    """Binary values (photos, certificates) are kept as base64 so nothing is silently lost."""
    return base64.b64encode(value).decode("ascii")


def user_status(dn: str, attrs: LowerAttrs) -> str:
    """DISABLED when the ppolicy overlay has locked the account (pwdAccountLockedTime), else ACTIVE.

    OpenLDAP has no standard "disabled" flag; a ppolicy lock is what admins use for it.
    """
    return "DISABLED" if attrs.get("pwdaccountlockedtime") else "ACTIVE"


def ignorable_reference(url: str) -> bool:
    """No reference is harmless on OpenLDAP: a referral means entries live on another server."""
    return False


FLAVOR = Flavor(
    name="openldap",
    user_filter="(objectClass=inetOrgPerson)",
    group_filter="(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
    id_attribute="entryUUID",
    login_attribute="uid",
    email_attribute="mail",
    first_name_attribute="givenName",
    last_name_attribute="sn",
    display_name_attributes=("displayName", "cn"),
    group_name_attribute="cn",
    member_attributes=("member", "uniqueMember"),
    member_uid_attribute="memberUid",
    change_attribute="modifyTimestamp",
    change_is_counter=False,
    operational_attributes=("entryUUID", "modifyTimestamp", "pwdAccountLockedTime"),
    decode_binary=decode_binary,
    user_status=user_status,
    supports_in_chain=False,
    ignorable_reference=ignorable_reference,
)
