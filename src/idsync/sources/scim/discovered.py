"""The extension schemas the inbox announces for what IdPs pushed, inferred from the values it holds.

The inbox keeps every extension an IdP sends, even those it has no schema for (extensions.py): Okta's
custom app attributes, Entra's custom extensions, the description of a SCIM 1.1 group. They are
returned on reads, so a client that reads a user and PUTs it back does not erase what it never saw.
A strict client, though, checks each resource against what the server publishes at /Schemas and
/ResourceTypes and refuses a resource that names a schema it was never told about. So every extension
URN the inbox returns is also declared: /Schemas holds a Schema resource for it, listing the
attributes seen with their types inferred from the values, and the resource types it was seen on name
it in their schemaExtensions. What is returned is only what those declarations describe.

Some of what IdPs send cannot be described by a SCIM schema. It stays stored exactly as sent, and the
sync rules read it as URN-qualified attributes like everything else, but it is left out of SCIM
answers, so the answers always match the declarations:

- a schema URI that is not a URN, such as the ADSCIM URL Entra adds to a group: strict clients build
  extension models from URNs only, and announcing it would break their whole discovery;
- a URN whose last segment is not an attribute name, such as `urn:okta:custom:group:1.0` (the group
  description of Okta's SCIM 1.1 connector): an attribute path is `URI ":" ATTRNAME` (RFC 7644
  §3.10), so `…:group:1.0` reads as attribute `1.0` of `urn:okta:custom:group`, and clients that
  walk the paths of a declared extension (scim2-models, scim2-tester) fail on it;
- a URN with no attribute that can be described (a schema needs at least one attribute);
- an attribute whose values disagree in type (a string in one resource, a number in another), or
  are single here and a list there: no one SCIM attribute type accepts both. An integer and a decimal
  make a decimal attribute;
- a complex value inside a complex attribute (RFC 7643 §2.3.8 forbids complex sub-attributes), a list
  of lists, an attribute name SCIM does not allow (RFC 7643 §2.1), and nulls.

This holds for the SCIM 2.0 mount. The 1.1 mount answers Okta's 1.1 connector, which never checks
resources against discovery (its resources name `urn:scim:schemas:core:1.0`, no schema /Schemas
lists) and reads back what it wrote: it gets every kept extension, as sent.

The declarations come from what this process has read. Every resource the storage loads is folded in
before its answer is built, and a discovery request (rare: clients discover once) first reads the
whole inbox, so /Schemas covers writes other processes made too. Folding only adds (a URN, an
attribute, a resource type naming a URN), widens an integer attribute to decimal, or withdraws an
attribute whose values turned out to disagree; a declared string never becomes a number, nor the
reverse. The answers are sorted, so repeated requests get the same answer while the data stays the
same. Names compare case-insensitively (RFC 7643 §2.1); a URN is declared in its
smallest spelling, with the `urn:` prefix in lower case, which is what strict clients expect.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from scim2_models import (
    Attribute,
    CaseExact,
    Extension,
    Mutability,
    Path,
    Required,
    Returned,
    Schema,
    SCIMException,
    Uniqueness,
)

from idsync.sources.scim.extensions import Kept

log = logging.getLogger("idsync.scim")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
"""ATTRNAME of RFC 7643 §2.1."""
_RESERVED = frozenset({"schemas"})
"""Names an extension model holds itself (a `schemas` attribute would shadow the extension's own)."""
_DESCRIPTION = "Attributes an identity provider sent, kept as sent; their types are inferred from the values."


@dataclass(frozen=True)
class Shape:
    """What the values seen at one attribute have in common."""

    name: str
    """The smallest spelling seen (names compare case-insensitively)."""
    type: str | None
    """SCIM type: string, boolean, integer, decimal or complex; None while only nulls or [] were seen."""
    multi: bool = False
    subs: tuple[Shape, ...] = ()
    """Sub-attributes of a complex attribute, sorted by lower-cased name."""
    mixed: bool = False
    """No one SCIM attribute describes these values (see the module docstring)."""

    @property
    def declared(self) -> bool:
        """Whether the attribute is announced (and its values returned)."""
        if self.mixed or self.type is None:
            return False
        return self.type != "complex" or any(s.declared for s in self.subs)

    def sub(self, name: str) -> Shape | None:
        """The sub-attribute called `name` (any case)."""
        lowered = name.lower()
        return next((s for s in self.subs if s.name.lower() == lowered), None)


@dataclass(frozen=True)
class Seen:
    """One extension URN: its attributes and the resource types that carry it."""

    urn: str
    attributes: tuple[Shape, ...]
    resource_types: frozenset[str]


def infer(name: str, value: Any, *, nested: bool = False) -> Shape | None:
    """The shape of one attribute value (None for a null, which says nothing)."""
    if value is None:
        return None
    if not _NAME.fullmatch(name) or name.lower() in _RESERVED:
        return Shape(name, None, mixed=True)
    if isinstance(value, list):
        items = [_single(name, v, nested) for v in value if v is not None]
        shape = Shape(name, None, multi=True)
        for item in items:
            shape = merge(shape, replace(item, multi=True))
        return shape
    return _single(name, value, nested)


def _single(name: str, value: Any, nested: bool) -> Shape:
    if isinstance(value, bool):
        return Shape(name, "boolean")
    if isinstance(value, int):
        return Shape(name, "integer")
    if isinstance(value, float):
        return Shape(name, "decimal")
    if isinstance(value, str):
        return Shape(name, "string")
    if isinstance(value, dict) and not nested:
        return Shape(name, "complex", subs=_merged(infer(str(k), v, nested=True) for k, v in value.items()))
    return Shape(name, None, mixed=True)  # a complex sub-attribute or a list of lists


def merge(a: Shape, b: Shape) -> Shape:
    """One shape for the values of both (the order of the arguments does not matter)."""
    name = min(a.name, b.name)
    if a.mixed or b.mixed or a.multi != b.multi:
        return Shape(name, None, mixed=True)
    if a.type is None or b.type is None or a.type == b.type:
        kind = a.type or b.type
        subs = _merged([*a.subs, *b.subs]) if kind == "complex" else ()
        return Shape(name, kind, multi=a.multi, subs=subs)
    if {a.type, b.type} == {"integer", "decimal"}:
        return Shape(name, "decimal", multi=a.multi)
    return Shape(name, None, mixed=True)


def _merged(shapes: Iterable[Shape | None]) -> tuple[Shape, ...]:
    by_name: dict[str, Shape] = {}
    for shape in shapes:
        if shape is None:
            continue
        key = shape.name.lower()
        by_name[key] = merge(by_name[key], shape) if key in by_name else shape
    return tuple(by_name[k] for k in sorted(by_name))


def canonical(urn: str) -> str:
    """The spelling a URN is declared in: its `urn:` prefix in lower case."""
    return "urn:" + urn[4:] if urn.lower().startswith("urn:") else urn


def _addressable(uri: str) -> bool:
    """A URN whose last segment is an attribute name, so paths can name the whole extension."""
    parts = uri.split(":")
    return parts[0] == "urn" and len(parts) >= 3 and _NAME.fullmatch(parts[-1]) is not None


def project(shape: Shape, value: Any) -> Any:
    """The part of `value` the declaration describes (None when nothing is left)."""
    if value is None or not shape.declared:
        return None
    if shape.multi:
        if not isinstance(value, list):
            return None
        items = [v for v in (_project_one(shape, item) for item in value) if v is not None]
        return items or None
    return _project_one(shape, value)


def _project_one(shape: Shape, value: Any) -> Any:
    if shape.type == "complex":
        if not isinstance(value, dict):
            return None
        out = {}
        for key, item in value.items():
            sub = shape.sub(str(key))
            shown = project(sub, item) if sub is not None else None
            if shown is not None:
                out[key] = shown
        return out or None
    fits = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "decimal": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }
    return value if fits.get(shape.type or "") else None


def _attribute(shape: Shape) -> Attribute:
    assert shape.type is not None  # only declared shapes are described
    subs = [_attribute(s) for s in shape.subs if s.declared] if shape.type == "complex" else None
    return Attribute(
        name=shape.name,
        type=Attribute.Type(shape.type),
        multi_valued=shape.multi,
        description=None,
        required=Required.false,
        case_exact=CaseExact.false,
        mutability=Mutability.read_write,
        returned=Returned.default,
        uniqueness=Uniqueness.none,
        sub_attributes=subs,
    )


def schema_of(seen: Seen) -> Schema:
    """The Schema resource declaring one extension URN."""
    return Schema(
        id=seen.urn,
        name=seen.urn,
        description=_DESCRIPTION,
        attributes=[_attribute(a) for a in seen.attributes if a.declared],
    )


class Registry:
    """The extension URNs one inbox has seen and the shapes of their attributes; thread-safe (the
    storage folds in from worker threads) and cheap to read (the state is replaced, never changed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: Mapping[str, Seen] = {}
        self._composes: dict[Seen, bool] = {}

    def fold(self, resource_type: str, kept: Kept) -> None:
        """Take in the kept extensions of one resource of `resource_type`."""
        found = {
            urn.lower(): Seen(
                canonical(urn),
                _merged(infer(str(k), v) for k, v in block.items()),
                frozenset({resource_type}),
            )
            for urn, block in kept.items()
            if urn != "schemas" and isinstance(block, dict)
        }
        if not found or self._folded(self._seen, found) is self._seen:
            return
        with self._lock:
            self._seen = self._folded(self._seen, found)

    @staticmethod
    def _folded(current: Mapping[str, Seen], found: Mapping[str, Seen]) -> Mapping[str, Seen]:
        """`current` with `found` merged in; `current` itself when nothing changes."""
        out: dict[str, Seen] | None = None
        for key, new in found.items():
            old = current.get(key)
            if old is not None:
                new = Seen(
                    min(old.urn, new.urn),
                    _merged([*old.attributes, *new.attributes]),
                    old.resource_types | new.resource_types,
                )
            if new != old:
                out = dict(current) if out is None else out
                out[key] = new
        return current if out is None else out

    def _declared(self) -> list[Seen]:
        seen = self._seen
        return [s for _, s in sorted(seen.items()) if self._composed(s)]

    def _composed(self, seen: Seen) -> bool:
        """Whether `seen` can be declared: an addressable URN with an attribute to describe, whose
        Schema builds the extension model, and whose URN parses as a path, as strict clients do it
        (scim2-models, which scim2-client and scim2-tester use)."""
        if not _addressable(seen.urn) or not any(a.declared for a in seen.attributes):
            return False
        known = self._composes.get(seen)
        if known is None:
            try:
                Extension.from_schema(schema_of(seen))
                Path(seen.urn)
                known = True
            except (ValueError, SCIMException) as exc:
                log.warning("not announcing extension %s: %s", seen.urn, exc)
                known = False
            with self._lock:
                self._composes = {s: ok for s, ok in self._composes.items() if s.urn != seen.urn}
                self._composes[seen] = known
        return known

    def schemas(self) -> list[Schema]:
        """The Schema resources of the declared extensions, sorted by URN."""
        return [schema_of(s) for s in self._declared()]

    def extensions_of(self, resource_type: str) -> list[str]:
        """The declared extension URNs seen on resources of `resource_type`, sorted."""
        return [s.urn for s in self._declared() if resource_type in s.resource_types]

    def shown(self, kept: Kept) -> Kept:
        """The part of a resource's kept extensions that the declarations describe, under the URNs'
        declared spellings: what a SCIM answer carries."""
        out: Kept = {}
        for urn, block in kept.items():
            seen = self._seen.get(urn.lower())
            if urn == "schemas" or seen is None or not isinstance(block, dict) or not self._composed(seen):
                continue
            by_name = {a.name.lower(): a for a in seen.attributes}
            shown = {}
            for key, value in block.items():
                shape = by_name.get(str(key).lower())
                projected = project(shape, value) if shape is not None else None
                if projected is not None:
                    shown[key] = projected
            if shown:
                out[seen.urn] = shown
        return out
