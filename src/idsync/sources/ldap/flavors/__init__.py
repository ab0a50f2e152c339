"""LDAP flavours: the attribute names, filters and quirks of one directory product.

A `Flavor` is plain data plus a few pure functions, so vendor quirks live in their own module
(`active_directory.py`, `openldap.py`) and the reader has no `if vendor ==` branches.
`flavor_for` applies the connection's attribute overrides on top of the flavour's defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from idsync.config.connections import LdapConnection

RawValues = list[bytes]
LowerAttrs = Mapping[str, RawValues]
"""An entry's attributes keyed by lower-cased name (LDAP names are case-insensitive)."""


@dataclass(frozen=True, slots=True)
class Flavor:
    """Defaults and quirks of one directory product."""

    name: str
    user_filter: str
    group_filter: str
    id_attribute: str
    login_attribute: str
    email_attribute: str
    first_name_attribute: str
    last_name_attribute: str
    display_name_attributes: tuple[str, ...]
    """Tried in order; the first present one is the normalised `displayName`."""
    group_name_attribute: str
    member_attributes: tuple[str, ...]
    """DN-valued membership attributes of groups (member, uniqueMember)."""
    member_uid_attribute: str | None
    """Username-valued membership attribute (posixGroup memberUid), or None."""
    change_attribute: str
    """What incremental reads filter on: modifyTimestamp or uSNChanged."""
    change_is_counter: bool
    """True when the change attribute is a strictly growing integer (AD USN), False for timestamps."""
    operational_attributes: tuple[str, ...]
    """Requested next to '*' because servers return them only when asked."""
    decode_binary: Callable[[str, bytes], str | None]
    """Turn a value that is not UTF-8 into text (attribute name lower-cased), or None to drop it."""
    user_status: Callable[[str, LowerAttrs], str]
    """"ACTIVE" or "DISABLED" for a user entry (dn, attributes)."""
    supports_in_chain: bool
    """The server may evaluate the in-chain matching rule (AD)."""
    ignorable_reference: Callable[[str], bool]
    """A search continuation reference (URL) that never leads to users and may be skipped."""

    def user_attributes(self) -> list[str]:
        """The attribute list of a user search: all user attributes plus the operational ones we use."""
        return ["*", *self.operational_attributes]

    def group_attributes(self) -> list[str]:
        """The attribute list of a group search: name, id, members, change marker."""
        names = [self.group_name_attribute, self.id_attribute, *self.member_attributes, self.change_attribute]
        if self.member_uid_attribute:
            names.append(self.member_uid_attribute)
        return [*dict.fromkeys(names), "description", "objectClass"]


def flavor_for(conn: LdapConnection) -> Flavor:
    """The connection's flavour with its attribute overrides applied."""
    from idsync.sources.ldap.flavors import active_directory, openldap

    base = active_directory.FLAVOR if conn.flavor == "active_directory" else openldap.FLAVOR
    names = conn.attributes
    changes: dict[str, object] = {}
    for field, value in (
        ("id_attribute", names.id),
        ("login_attribute", names.login),
        ("email_attribute", names.email),
        ("first_name_attribute", names.first_name),
        ("last_name_attribute", names.last_name),
        ("group_name_attribute", names.group_name),
    ):
        if value:
            changes[field] = value
    if names.display_name:
        changes["display_name_attributes"] = (names.display_name,)
    if names.id:
        changes["operational_attributes"] = (*base.operational_attributes, names.id)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
