"""How the direct read path (fast_reads.py) turns a stored document into the core's answer.

A stored document is the model's JSON dump (aliases, no nulls) written by InboxStorage; the core
answers a read by validating it, publishing it and dumping it under the returned rules. For the
values modelled here as plain that round trip is the identity, so the answer is the document with
the rules applied: `returned: never` and `returned: request` left out, empty values dropped level
by level (scim2-models `_drop_empty_values`), extension URNs kept in `schemas` only when carried
(RFC 7643 §3), dates written as pydantic writes them, `meta.location` added in the Meta model's
field order. Whatever is not plain raises NotPlain and the core answers instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import TypeAdapter
from scim2_models import BaseModel, Extension, Resource, ResourceType, Returned

from idsync.sources.scim.storage_keys import INDEXED

_META_DATES = ("created", "lastModified")
_META_ORDER = ("resourceType", "created", "lastModified", "location", "version")
"""The Meta model's field order, which the core's dump follows."""
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
_CANONICAL_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z")
"""A UTC date as pydantic writes it (what the store writes): the core would write it back unchanged."""


class NotPlain(Exception):
    """The document holds something only the core renders exactly: let the core answer."""


@dataclass(frozen=True)
class Attr:
    """How one attribute of a stored document is rendered."""

    returned: Returned
    multi: bool
    children: Mapping[str, Attr] | None = None
    """The sub-attributes of a complex attribute (None for a simple one)."""
    kind: type | None = None
    """The Python type a plain simple value has (str, bool or int); None when not plain."""


def shape_of(model: type[BaseModel]) -> dict[str, Attr]:
    """Every attribute of `model` by the name it has in a stored document (its alias), recursively.

    `schemas` and `meta` are left out (rendered apart). A simple attribute is plain when its value
    is stored as the JSON the core sends back unchanged: strings (references to external URLs
    included), booleans and integers; dates, binaries and references to resources are not."""
    shape: dict[str, Attr] = {}
    for alias, field in model.__scim_info__.alias_to_field.items():
        if alias in ("schemas", "meta"):
            continue
        returned = model.get_field_annotation(field, Returned)
        multi = bool(model.get_field_multiplicity(field))
        root = model.get_field_root_type(field)
        if isinstance(root, type) and issubclass(root, BaseModel):
            children = shape_of(root)
            if issubclass(root, Extension):
                # an extension's dump leaves out the attributes of a Resource (its own `schemas`)
                for name in set(root.__scim_info__.alias_to_field) & set(Resource.model_fields):
                    children[name] = Attr(Returned.never, multi=False)
            shape[alias] = Attr(returned, multi, children=children)
            continue
        references = getattr(root, "__reference_types__", None)
        if references is not None:
            plain = bool(set(references) & {"external", "uri"})
            shape[alias] = Attr(returned, multi, kind=str if plain else None)
        elif root in (str, bool, int):
            shape[alias] = Attr(returned, multi, kind=cast(type, root))
        else:
            shape[alias] = Attr(returned, multi)
    return shape


def _render_object(value: Any, shape: Mapping[str, Attr]) -> dict[str, Any]:
    """A complex value as the core dumps it (returned rules, empty values dropped)."""
    if not isinstance(value, dict):
        raise NotPlain
    out: dict[str, Any] = {}
    for key, item in value.items():
        attr = shape.get(key)
        if attr is None or item is None:
            raise NotPlain
        if attr.returned in (Returned.never, Returned.request):
            continue
        rendered = _render_value(item, attr)
        if rendered != [] and rendered != {}:
            out[key] = rendered
    return out


def _render_value(value: Any, attr: Attr) -> Any:
    if attr.multi:
        if not isinstance(value, list):
            raise NotPlain
        items = [_render_single(item, attr) for item in value]
        return [item for item in items if item != {}]
    return _render_single(value, attr)


def _render_single(value: Any, attr: Attr) -> Any:
    if attr.children is not None:
        return _render_object(value, attr.children)
    # bool is an int in Python: compare the exact type
    if attr.kind is None or type(value) is not attr.kind:
        raise NotPlain
    return value


def _render_meta(meta: Any, location: str) -> dict[str, Any]:
    if not isinstance(meta, dict) or not set(meta) <= set(_META_ORDER) or "location" in meta:
        raise NotPlain
    values = {**meta, "location": location}
    out: dict[str, Any] = {}
    for key in _META_ORDER:
        value = values.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise NotPlain
        if key in _META_DATES and not _CANONICAL_UTC.fullmatch(value):
            # the core reads the date and writes it back: write it the way it would
            value = _DATETIME.dump_python(_DATETIME.validate_python(value), mode="json")
        out[key] = value
    return out


@dataclass(frozen=True)
class TypeRendering:
    """What rendering one resource type needs: its attribute shape, its extension URNs, and the
    attributes an `eq` filter may look up in scim_keys (by their folded spellings)."""

    resource_type: ResourceType
    shape: dict[str, Attr]
    extensions: tuple[str, ...]
    schemas: frozenset[str]
    """The URNs a stored `schemas` may hold for this path to answer: the type's and its extensions'."""
    lookups: dict[str, str]
    """A folded attribute spelling ("username", "urn:…:user:username") → its INDEXED name."""

    @classmethod
    def of(cls, resource_type: ResourceType, model: type[Resource[Any]]) -> TypeRendering:
        """Built once per mount."""
        name = cast(str, resource_type.name)
        info = model.__scim_info__
        lookups: dict[str, str] = {}
        for urn in INDEXED.get(name, ()):
            if "." in urn:  # members.value: multi-valued, the core scans
                continue
            lookups[urn.casefold()] = urn
            lookups[f"{resource_type.schema_}:{urn}".casefold()] = urn
        extensions = tuple(info.attribute_urns[field] for field in sorted(info.extensions))
        schemas = frozenset((cast(str, resource_type.schema_), *extensions))
        return cls(resource_type, shape_of(model), extensions, schemas, lookups)

    def render(self, doc: Any, location: str) -> dict[str, Any]:
        """The stored document as the core's answer to a read; NotPlain when it cannot say."""
        if not isinstance(doc, dict):
            raise NotPlain
        schemas = doc.get("schemas")
        # only the schemas the model defines: the inbox keeps others (extensions.py), the core
        # decides what of them an answer names
        if not isinstance(schemas, list) or not all(s in self.schemas for s in schemas):
            raise NotPlain
        if len(set(schemas)) != len(schemas) or not isinstance(doc.get("id"), str):
            raise NotPlain
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key == "schemas":
                out[key] = list(schemas)
            elif key == "meta":
                out[key] = _render_meta(value, location)
            else:
                attr = self.shape.get(key)
                if attr is None or value is None:
                    raise NotPlain
                if attr.returned in (Returned.never, Returned.request):
                    continue
                rendered = _render_value(value, attr)
                if rendered != [] and rendered != {}:
                    out[key] = rendered
        if "meta" not in out:
            raise NotPlain
        for urn in self.extensions:
            if urn not in out and urn in out["schemas"]:
                out["schemas"].remove(urn)
        return out
