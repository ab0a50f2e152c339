"""What a SCIM service provider says it can do, read once per connection before anything else.

RFC 7644 §4 gives three discovery endpoints: `/ServiceProviderConfig` (PATCH or only PUT, filters
and their `maxResults`, sorting, ETags, bulk), `/ResourceTypes` (the endpoints and which extension
schemas a User may carry) and `/Schemas` (every attribute with its type and mutability).
scim2-client reads the three and builds the typed models of this server's User and Group from them
(`User[EnterpriseUser, ...]`), which then check every request idsync sends and every answer it reads.

Custom attributes (`users.custom_attributes`) are named by their full SCIM path, e.g.
`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and are resolved here
against the User schemas the server published: a key naming an attribute the server does not have is
a `ConfigError` naming the key and the valid ones, never a value silently dropped. Only single-valued
string attributes (or string sub-attributes of a single complex attribute, such as
`…:core:2.0:User:name.givenName`) can hold idsync's values, which are strings; the attributes idsync
writes itself (userName, displayName, emails, active, externalId) are not custom attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scim2_models import Attribute, Mutability, Resource, Schema, ServiceProviderConfig

from idsync.domain.errors import ConfigError, ConnectorError
from idsync.targets.scim.client import CHECKED, ScimWire, unreadable

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
DEFAULT_PAGE_SIZE = 100
"""count= of paged reads when the configuration sets none and discovery states no maxResults."""

_OWN_ATTRIBUTES = frozenset({"username", "displayname", "emails", "active", "externalid", "password", "id",
                             "groups", "meta", "schemas"})
"""Core User attributes idsync writes from the profile itself (or that are no place for a value)."""
_STRING_TYPES = frozenset({"string", "reference"})


@dataclass(frozen=True, slots=True)
class CustomAttribute:
    """A custom attribute key resolved against the server's schemas."""

    key: str
    """As the profile spells it (`users.custom_attributes` key): the property key in plans."""
    schema: str
    """The schema URN that holds it, as the server spells it."""
    path: str
    """`attr` or `attr.sub` within that schema, as the server spells it."""

    @property
    def full_path(self) -> str:
        """`<schema>:<path>`: the URN-qualified path (RFC 7644 §3.10)."""
        return f"{self.schema}:{self.path}"

    @property
    def patch_path(self) -> str:
        """The path of a PATCH operation: core attributes by their short name (what every server
        accepts), extension attributes URN-qualified (the only way to name them)."""
        return self.path if self.schema.casefold() == CORE_USER.casefold() else self.full_path


@dataclass(frozen=True, slots=True)
class Discovery:
    """The server's description, as idsync uses it."""

    user_model: type[Resource[Any]]
    group_model: type[Resource[Any]]
    patch: bool
    filter: bool
    max_results: int | None
    sort: bool
    etag: bool
    bulk: bool
    user_schemas: tuple[str, ...]
    """The core User schema, then the extension schemas /ResourceTypes names for User."""
    attributes: dict[str, CustomAttribute]
    """Case-folded full path → every attribute that can hold a custom attribute value."""

    def page_size(self, configured: int | None) -> int:
        """count= of paged reads: the configured value, else the largest page discovery allows."""
        if configured is not None:
            return configured
        return self.max_results if self.max_results else DEFAULT_PAGE_SIZE

    def attribute(self, key: str, where: str = "users.custom_attributes") -> CustomAttribute:
        """The attribute `key` names, or a ConfigError naming the key and the valid ones."""
        found = self.attributes.get(key.casefold())
        if found is not None:
            return CustomAttribute(key, found.schema, found.path)
        valid = ", ".join(sorted(a.full_path for a in self.attributes.values())) or "(none)"
        if ":" not in key:
            why = ("a SCIM target names a custom attribute by its full path, "
                   "<schema URN>:<attribute>")
        else:
            why = "the server's /Schemas have no such single-valued string attribute of a User"
        raise ConfigError(f"{where}: {key!r} is not a custom attribute this SCIM server can hold: {why}; "
                          f"valid: {valid}")

    def check_keys(self, keys: Iterable[str], where: str = "users.custom_attributes") -> None:
        """Raise a ConfigError for the first key the server cannot hold (see `attribute`)."""
        for key in sorted(keys):
            self.attribute(key, where)

    def summary(self) -> str:
        """What was found, for `idsync check`."""
        updates = "PATCH" if self.patch else "PUT only (no PATCH)"
        if self.filter:
            limit = f", up to {self.max_results} results" if self.max_results else ""
            filters = f"filters{limit}"
        else:
            filters = "no filters"
        extensions = ", ".join(self.user_schemas[1:]) or "none"
        return f"{updates}; {filters}; User extensions: {extensions}"


async def discover(wire: ScimWire) -> Discovery:
    """Read /ServiceProviderConfig, /ResourceTypes and /Schemas (concurrently) and describe the server.
    A server whose description is incomplete or invalid raises a ConnectorError saying so."""
    try:
        await wire.discover()
    except CHECKED as exc:
        raise unreadable("discovery (/ServiceProviderConfig, /ResourceTypes, /Schemas)", exc) from exc
    user_model = wire.get_resource_model("User")
    group_model = wire.get_resource_model("Group")
    if user_model is None or group_model is None:
        missing = " and ".join(k for k, m in (("User", user_model), ("Group", group_model)) if m is None)
        raise ConnectorError(f"discovery: /ResourceTypes names no {missing} resource type; idsync needs both")
    config = wire.provider.config or ServiceProviderConfig()
    user_type = next(t for t in wire.provider.resource_types if t.name == "User" or t.id == "User")
    schemas = [str(user_type.schema_)] + [str(e.schema_) for e in (user_type.schema_extensions or [])]
    published = {str(s.id).casefold(): s for s in wire.provider.schemas}
    attributes: dict[str, CustomAttribute] = {}
    for urn in schemas:
        schema = published.get(urn.casefold())
        if schema is not None:
            for found in _holders(schema, core=urn.casefold() == CORE_USER.casefold()):
                attributes[found.full_path.casefold()] = found
    return Discovery(
        user_model=user_model,
        group_model=group_model,
        patch=bool(config.patch and config.patch.supported),
        filter=bool(config.filter and config.filter.supported),
        max_results=(config.filter.max_results if config.filter and config.filter.max_results else None),
        sort=bool(config.sort and config.sort.supported),
        etag=bool(config.etag and config.etag.supported),
        bulk=bool(config.bulk and config.bulk.supported),
        user_schemas=tuple(schemas),
        attributes=attributes,
    )


def _holders(schema: Schema, *, core: bool) -> list[CustomAttribute]:
    """The attributes of `schema` that can hold a string value idsync writes."""
    found: list[CustomAttribute] = []
    for attribute in schema.attributes or []:
        name = str(attribute.name)
        if core and name.casefold() in _OWN_ATTRIBUTES:
            continue
        if _holds_string(attribute):
            found.append(CustomAttribute(name, str(schema.id), name))
        elif _kind(attribute) == "complex" and not attribute.multi_valued:
            for sub in attribute.sub_attributes or []:
                if _holds_string(sub):
                    found.append(CustomAttribute(f"{name}.{sub.name}", str(schema.id), f"{name}.{sub.name}"))
    return found


def _kind(attribute: Attribute) -> str:
    return str(getattr(attribute.type, "value", attribute.type) or "string")


def _holds_string(attribute: Attribute) -> bool:
    return (_kind(attribute) in _STRING_TYPES and not attribute.multi_valued
            and attribute.mutability != Mutability.read_only)
