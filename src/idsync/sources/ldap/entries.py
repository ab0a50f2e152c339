"""Raw python-ldap entries → typed records: decoded attributes, the normalised names the rules'
defaults use (`login`, `email`, `firstName`, `lastName`, `displayName`, `dn`), the immutable id and
the status. Pure functions of (dn, attributes, flavour), so they are unit-tested on raw tuples."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import ldap.dn

from idsync.domain.errors import SourceReadError
from idsync.domain.records import AttrValue, SourceUser
from idsync.sources.ldap.flavors import Flavor, RawValues

_NEEDS_PARSING = re.compile(r'[\\"+<>;#]|\s[,=]|[,=]\s|^\s|\s$')


def norm_dn(dn: str) -> str:
    """A DN in one canonical form (lower case, no spaces around separators), to compare member values
    with entry DNs the way the server does. Plain DNs take a fast path: this runs once per member."""
    if _NEEDS_PARSING.search(dn) is None:
        return dn.lower()
    try:
        return str(ldap.dn.dn2str(ldap.dn.str2dn(dn))).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


_ALWAYS_BINARY = frozenset({"objectguid", "objectsid"})
"""Binary even when the bytes happen to be valid UTF-8."""


def decode_values(name: str, values: RawValues, flavor: Flavor) -> list[str]:
    """Values as text: UTF-8, or the flavour's binary decoding (GUIDs, SIDs, base64)."""
    lower = name.lower()
    if lower not in _ALWAYS_BINARY:
        try:
            return [value.decode("utf-8") for value in values]
        except UnicodeDecodeError:
            pass
    out: list[str] = []
    for value in values:
        try:
            text = flavor.decode_binary(lower, value) if lower in _ALWAYS_BINARY else value.decode("utf-8")
        except UnicodeDecodeError:
            text = flavor.decode_binary(lower, value)
        if text is not None:
            out.append(text)
    return out


def decode_attributes(raw: Mapping[str, RawValues], flavor: Flavor) -> dict[str, AttrValue]:
    """All attributes, single values as str and multi-valued ones as list[str]."""
    out: dict[str, AttrValue] = {}
    for name, values in raw.items():
        texts = decode_values(name, values, flavor)
        if texts:
            out[name] = texts[0] if len(texts) == 1 else texts
    return out


def lower_keys(raw: Mapping[str, RawValues]) -> dict[str, RawValues]:
    """The attributes keyed by lower-cased name."""
    return {name.lower(): values for name, values in raw.items()}


def first_text(lower: Mapping[str, RawValues], name: str, flavor: Flavor) -> str | None:
    """The first value of an attribute as text, or None."""
    values = lower.get(name.lower())
    if not values:
        return None
    texts = decode_values(name, values[:1], flavor)
    return texts[0] if texts else None


def entry_id(dn: str, lower: Mapping[str, RawValues], flavor: Flavor) -> str:
    """The entry's immutable id; an entry without one fails the read (it could not be linked safely)."""
    value = first_text(lower, flavor.id_attribute, flavor)
    if not value:
        raise SourceReadError(
            f"entry {dn!r} has no {flavor.id_attribute}; idsync keys users and groups by it. Check that "
            f"the bind account may read {flavor.id_attribute}, or set attributes.id to another immutable one"
        )
    return value


_FLAVOR_NAMES: dict[int, tuple[Flavor, tuple[str, str, str, str, str, tuple[str, ...]]]] = {}
"""Per flavour (by identity): the lower-cased names `to_source_user` looks up for every entry."""


def _names(flavor: Flavor) -> tuple[str, str, str, str, str, tuple[str, ...]]:
    cached = _FLAVOR_NAMES.get(id(flavor))
    if cached is None or cached[0] is not flavor:
        names = (
            flavor.id_attribute.lower(),
            flavor.login_attribute.lower(),
            flavor.email_attribute.lower(),
            flavor.first_name_attribute.lower(),
            flavor.last_name_attribute.lower(),
            tuple(n.lower() for n in flavor.display_name_attributes),
        )
        cached = _FLAVOR_NAMES[id(flavor)] = (flavor, names)
    return cached[1]


def to_source_user(dn: str, raw: Mapping[str, RawValues], flavor: Flavor) -> SourceUser:
    """One user entry as a SourceUser with raw and normalised attributes.

    One pass over the attributes decodes them (UTF-8 first, the flavour's binary decoding for the
    rest) and notes each one's first value by lower-cased name, from which the normalised names are
    taken: this runs once per user of every full read (50,000 entries in well under a second)."""
    attributes: dict[str, AttrValue] = {}
    firsts: dict[str, str] = {}
    lower: dict[str, RawValues] = {}
    for name, values in raw.items():
        key = name.lower()
        lower[key] = values
        texts: list[str] | None = None
        if key not in _ALWAYS_BINARY:
            try:
                texts = [value.decode("utf-8") for value in values]
            except UnicodeDecodeError:
                texts = None
        if texts is None:
            texts = decode_values(name, values, flavor)
        if texts:
            attributes[name] = texts[0] if len(texts) == 1 else texts
            firsts[key] = texts[0]
    id_name, login, email, first_name, last_name, display_names = _names(flavor)
    display = next((v for n in display_names if (v := firsts.get(n))), None)
    user_id = firsts.get(id_name) or entry_id(dn, lower, flavor)
    attributes.update(
        login=firsts.get(login),
        email=firsts.get(email),
        firstName=firsts.get(first_name),
        lastName=firsts.get(last_name),
        displayName=display,
        dn=dn,
    )
    return SourceUser(id=user_id, status=flavor.user_status(dn, lower), attributes=attributes)


@dataclass(frozen=True, slots=True)
class RawGroup:
    """A group entry before membership resolution: its direct member DNs (normalised) and memberUids."""

    id: str
    dn: str
    """Normalised (see `norm_dn`)."""
    name: str
    member_dns: tuple[str, ...]
    member_uids: tuple[str, ...]
    attributes: Mapping[str, AttrValue]


def strip_unique_member(value: str) -> str:
    """uniqueMember may carry an optional `#'0101'B` uid suffix after the DN."""
    head, sep, tail = value.rpartition("#")
    return head if sep and tail.startswith("'") and tail.endswith("'B") else value


def to_raw_group(dn: str, raw: Mapping[str, RawValues], members: RawValues, flavor: Flavor) -> RawGroup:
    """One group entry; `members` are its DN-valued member values, already range-collected."""
    lower = lower_keys(raw)
    name = first_text(lower, flavor.group_name_attribute, flavor)
    if not name:
        raise SourceReadError(f"group {dn!r} has no {flavor.group_name_attribute} (its name)")
    uids: tuple[str, ...] = ()
    if flavor.member_uid_attribute:
        uids = tuple(decode_values("memberUid", lower.get(flavor.member_uid_attribute.lower(), []), flavor))
    member_dns = tuple(norm_dn(strip_unique_member(v.decode("utf-8"))) for v in members)
    attributes = {
        k: v
        for k, v in decode_attributes(raw, flavor).items()
        if k.lower() in ("description", "objectclass", flavor.change_attribute.lower())
    }
    attributes["dn"] = dn
    return RawGroup(
        id=entry_id(dn, lower, flavor),
        dn=norm_dn(dn),
        name=name,
        member_dns=member_dns,
        member_uids=uids,
        attributes=attributes,
    )
