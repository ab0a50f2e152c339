"""What the inbox copies out of each stored document so lookups and uniqueness are plain SQL.

`scim_keys` holds, per resource, the comparable values (as the attribute's case rules say) of the
attributes IdPs look resources up by and a single-user sync needs; `scim_unique` holds the values of
attributes with uniqueness server/global, its primary key making the check atomic across processes.
The two statements every IdP runs all the time are built once here: building a SQLAlchemy statement
costs more than running it on an indexed SQLite lookup.
"""

from __future__ import annotations

from typing import Any, cast

from scim2_models import AttributeBinding, Path, Resource, Uniqueness
from scim2_server.utils import parametrize
from sqlalchemy import and_, bindparam, select

from idsync.store.models import ScimKeyRow, ScimResourceRow

INDEXED: dict[str, tuple[str, ...]] = {
    "User": ("userName", "externalId"),
    "Group": ("displayName", "externalId", "members.value"),
}
"""Attributes copied into scim_keys per resource type: what IdPs filter on (Okta userName and
displayName, Entra externalId) and what a single-user sync needs (a user's groups by members.value)."""

BY_ID = select(ScimResourceRow.body).where(
    ScimResourceRow.connection == bindparam("connection"),
    ScimResourceRow.resource_type == bindparam("name"),
    ScimResourceRow.id == bindparam("id"),
)
"""GET /Users/{id}: one document by connection, type and id."""

BY_KEY = (
    select(ScimResourceRow.resource_type, ScimResourceRow.body)
    .join(
        ScimKeyRow,
        and_(
            ScimKeyRow.connection == ScimResourceRow.connection,
            ScimKeyRow.resource_type == ScimResourceRow.resource_type,
            ScimKeyRow.resource_id == ScimResourceRow.id,
        ),
    )
    .where(
        ScimKeyRow.connection == bindparam("connection"),
        ScimKeyRow.resource_type == bindparam("name"),
        ScimKeyRow.urn == bindparam("urn"),
        ScimKeyRow.value == bindparam("value"),
    )
)
"""`attr eq "value"` on an indexed attribute: the matching documents in one indexed join."""


class KeyIndex:
    """The indexed and the unique attributes of each resource type of one connection."""

    def __init__(self, connection: str, models: dict[str, type[Resource[Any]]]) -> None:
        self.connection = connection
        self._indexed: dict[str, dict[str, AttributeBinding]] = {}
        self._unique: dict[str, list[AttributeBinding]] = {}
        for name, model in models.items():
            paths = parametrize(Path, model)
            bindings = {}
            for urn in INDEXED.get(name, ()):
                binding = paths(urn).resolve()
                if isinstance(binding, AttributeBinding):
                    bindings[urn] = binding
            self._indexed[name] = bindings
            self._unique[name] = [
                cast(AttributeBinding, p.resolve())
                for p in paths.iter_paths(
                    include_subattributes=False, uniqueness=[Uniqueness.server, Uniqueness.global_]
                )
            ]

    def binding(self, name: str, urn: str) -> AttributeBinding:
        """The binding of an indexed attribute (KeyError when it is not indexed)."""
        return self._indexed[name][urn]

    def indexed_urn(self, name: str, binding: AttributeBinding) -> str | None:
        """The INDEXED name of the attribute a filter resolved to, or None when it is not indexed."""
        return next((u for u, b in self._indexed.get(name, {}).items() if b.urn == binding.urn), None)

    def key_rows(self, name: str, resource: Resource[Any]) -> list[dict[str, Any]]:
        """The scim_keys rows of a resource."""
        return [
            {
                "connection": self.connection,
                "resource_type": name,
                "resource_id": resource.id,
                "urn": urn,
                "value": value,
            }
            for urn, binding in self._indexed.get(name, {}).items()
            for value in values(resource, urn, binding)
        ]

    def unique_rows(self, name: str, resource: Resource[Any]) -> list[dict[str, Any]]:
        """The scim_unique rows of a resource."""
        uniques = {
            binding.urn: value
            for binding in self._unique.get(name, [])
            for value in values(resource, binding.urn, binding)
        }
        return [
            {
                "connection": self.connection,
                "urn": urn,
                "value": value,
                "resource_type": name,
                "resource_id": resource.id,
            }
            for urn, value in uniques.items()
        ]

    def taken_detail(self, name: str, resource: Resource[Any]) -> str:
        """The 409 detail naming the unique values a resource holds."""
        taken = [
            f"{binding.urn.rsplit(':', 1)[-1]} {value!r}"
            for binding in self._unique.get(name, [])
            for value in values(resource, binding.urn, binding)
        ]
        return f"a {name} with {' / '.join(taken) or 'these values'} already exists"


def values(resource: Resource[Any], urn: str, binding: AttributeBinding) -> list[str]:
    """The comparable values a resource holds at `urn` (several for a multi-valued sub-attribute)."""
    raw = parametrize(Path, type(resource))(urn).get(resource, strict=False)
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        try:
            value = binding.comparable(item)
        except ValueError:
            continue
        if value is not None:
            out.append(str(value))
    return list(dict.fromkeys(out))
