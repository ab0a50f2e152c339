"""Extension attributes the inbox does not define, kept exactly as the IdP sent them.

Real IdPs send schemas scim2-server knows nothing about: Okta's custom user attributes
(`urn:ietf:params:scim:schemas:extension:<app>:2.0:User`, `urn:okta:<app>:1.0:user:custom`), its SCIM 1.1
group description (`urn:okta:custom:group:1.0`), Entra's custom extensions and the second schema URI
(`http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`) on a group create. The
core's models forbid unknown keys, so the endpoint takes these parts out of a request before the core
sees it (`extract`), the storage keeps them in the stored document next to the core attributes
(`split` on the way out of the database, `apply` on the way in), and the endpoint puts them back into
every response (`decorate`): on the SCIM 2.0 mount only the part the inbox announces a schema for
(discovered.py), since a strict client refuses a resource naming a schema discovery did not announce.
Unknown *core* attributes (`shoeSize` on a User) still reach the core and get its 400.

A key or a path belongs to an extension when it is a URI (has a `:`) that is not one of the known schema
URNs nor starts with one plus `:`; URNs compare case-insensitively (RFC 7643 §2.1). An extension path is
`<URN>` (the whole block) or `<URN>:<attr>[.<sub>]` (RFC 7644 §3.10); a URN not held yet takes a dict
value as a whole block, anything else splits at the last `:`.

The stored document holds each block under its URN and the URIs without a block under `schemas` of the
kept part: `Kept = {"schemas": [...], "<urn>": {...}}`.

Requests pass their change to the storage through a context variable (`SCOPE`) so that a core write and
its extension change are one transaction; `seen` collects the kept parts of every resource the storage
loaded, which `decorate` adds to the answer without another query.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from scim2_models import InvalidPathException, InvalidValueException

Kept = dict[str, Any]
"""{"schemas": [extra schema URIs], "<urn>": {attribute: value, ...}, ...}."""

MAX_DEPTH = 32
"""Deepest nesting of lists and objects a kept extension value may have. IdPs send flat attributes or
one complex level; the stored document is written by orjson, which stops at 255 levels, and copied
with copy.deepcopy, which stops at Python's recursion limit: deeper values were a 500, now a 400."""
_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_MESSAGES = "urn:ietf:params:scim:api:messages:2.0:"


@dataclass
class Change:
    """What one write does to the kept extensions: a whole replacement (POST/PUT) or PATCH operations."""

    replace: Kept | None = None
    operations: list[tuple[str, str, Any]] = field(default_factory=list)
    """(op "add"/"replace"/"remove", extension path, value) in request order."""


@dataclass
class Scope:
    """One request's extension bookkeeping, shared with the storage calls it makes."""

    change: Change | None = None
    applied: bool = False
    """Set by the storage once the change is committed with a core write."""
    seen: dict[str, Kept] = field(default_factory=dict)
    """Resource id → kept extensions, for every resource the storage loaded during the request."""


SCOPE: ContextVar[Scope | None] = ContextVar("idsync_scim_extensions", default=None)


class Schemas:
    """The schema URNs the inbox defines, and the test that tells extension keys apart from them."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = tuple(sorted({k.lower() for k in known} | {_MESSAGES.rstrip(":")}))

    def is_extension(self, key: str) -> bool:
        """Whether `key` names something under a schema the inbox does not define."""
        if ":" not in key:
            return False
        lowered = key.lower()
        return not any(lowered == k or lowered.startswith(k + ":") for k in self.known)

    def split(self, doc: dict[str, Any]) -> Kept:
        """Take the kept extensions out of a stored or received document (in place)."""
        kept: Kept = {}
        for key in [k for k in doc if self.is_extension(k)]:
            kept[key] = doc.pop(key)
        schemas = doc.get("schemas")
        if isinstance(schemas, list):
            extra = [s for s in schemas if isinstance(s, str) and self.is_extension(s)]
            if extra:
                doc["schemas"] = [s for s in schemas if s not in extra]
                blocks = {k.lower() for k in kept}
                only = [s for s in extra if s.lower() not in blocks]
                if only:
                    kept["schemas"] = only
        return kept

    def extract(self, method: str, endpoint: str, body: Any) -> tuple[Any, Change | None]:
        """The body for the core and the extension change of a Users/Groups write (None: no change)."""
        if endpoint not in ("Users", "Groups") or not isinstance(body, dict):
            return body, None
        if method in ("POST", "PUT"):
            core = dict(body)
            kept = self.split(core)
            for key, value in kept.items():
                check_depth(key, value)
            # A PUT replaces everything, so it also clears what it no longer sends.
            if kept or method == "PUT":
                return core, Change(replace=kept)
            return body, None
        if method != "PATCH" or not isinstance(body.get("Operations"), list):
            return body, None
        change = Change()
        remaining: list[Any] = []
        for operation in body["Operations"]:
            if not isinstance(operation, dict) or not isinstance(operation.get("op"), str):
                remaining.append(operation)
                continue
            op = operation["op"].lower()
            path = operation.get("path")
            value = operation.get("value")
            if isinstance(path, str) and self.is_extension(path):
                check_depth(path, value)
                change.operations.append((op, path, value))
                continue
            if path is None and op in ("add", "replace") and isinstance(value, dict):
                keys = [k for k in value if self.is_extension(k)]
                for key in keys:
                    check_depth(key, value[key])
                    change.operations.append((op, key, value[key]))
                rest = {k: v for k, v in value.items() if k not in keys}
                if keys and not rest:
                    continue
                operation = {**operation, "value": rest}
            remaining.append(operation)
        if not change.operations:
            return body, None
        return {**body, "Operations": remaining}, change


def check_depth(name: str, value: Any) -> None:
    """InvalidValueException (400 invalidValue) when `value` nests deeper than MAX_DEPTH; walked
    without recursion, so no input is too deep to be told so."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidValueException(
                detail=f"the value of {name!r} nests lists and objects more than {MAX_DEPTH} levels deep; "
                f"an extension attribute the inbox keeps may have at most {MAX_DEPTH}"
            )
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children)


def apply(kept: Mapping[str, Any], change: Change | None) -> Kept:
    """The kept extensions after a change (a new dict; `kept` is not modified)."""
    if change is None:
        return copy.deepcopy(dict(kept))
    if change.replace is not None:
        return copy.deepcopy(change.replace)
    out: Kept = copy.deepcopy(dict(kept))
    for op, path, value in change.operations:
        urn, attr = _locate(out, path, value)
        if op == "remove":
            if attr is None:
                out.pop(urn, None)
            elif isinstance(out.get(urn), dict):
                _remove(out[urn], attr)
                if not out[urn]:
                    out.pop(urn)
            continue
        if op not in ("add", "replace"):
            continue  # the core already refuses unknown ops in the same request
        if attr is None:
            block = out.get(urn)
            if isinstance(block, dict) and isinstance(value, dict):
                block.update(copy.deepcopy(value))
            else:
                out[urn] = copy.deepcopy(value)
            continue
        block = out.setdefault(urn, {})
        if not isinstance(block, dict):
            block = out[urn] = {}
        _set(block, attr, copy.deepcopy(value), append=op == "add")
    if out.get("schemas") == []:
        out.pop("schemas")
    return out


def _locate(kept: Mapping[str, Any], path: str, value: Any) -> tuple[str, str | None]:
    lowered = path.lower()
    for urn in kept:
        if urn == "schemas":
            continue
        if lowered == urn.lower():
            return urn, None
        if lowered.startswith(urn.lower() + ":"):
            return urn, _attribute(path, path[len(urn) + 1 :])
    if isinstance(value, dict) or value is None:
        return path, None
    urn, _, attr = path.rpartition(":")
    return urn, _attribute(path, attr)


def _attribute(path: str, attr: str) -> str:
    if not attr or "[" in attr or "]" in attr:
        raise InvalidPathException(
            detail=f"path {path!r}: an attribute of an extension the inbox does not define can be set or "
            "removed by name (urn:…:attribute or urn:…:attribute.sub), not through a value filter"
        )
    return attr


def _set(block: dict[str, Any], attr: str, value: Any, *, append: bool) -> None:
    *parents, last = attr.split(".")
    for name in parents:
        child = block.get(name)
        if not isinstance(child, dict):
            child = block[name] = {}
        block = child
    current = block.get(last)
    if append and isinstance(current, list):
        additions = value if isinstance(value, list) else [value]
        block[last] = current + [v for v in additions if v not in current]
    else:
        block[last] = value


def _remove(block: dict[str, Any], attr: str) -> None:
    *parents, last = attr.split(".")
    for name in parents:
        child = block.get(name)
        if not isinstance(child, dict):
            return
        block = child
    block.pop(last, None)


def decorate(body: dict[str, Any] | None, seen: Mapping[str, Kept], query: Mapping[str, str]) -> None:
    """Put kept extensions (resource id → kept part) into a resource or ListResponse body (in place),
    honouring the `attributes` / `excludedAttributes` parameters for extension URNs and their
    attributes; each URN shown, and each URI under the kept `schemas`, is added to `schemas`."""
    if not body or not seen:
        return
    wanted = _names(query.get("attributes"))
    excluded = _names(query.get("excludedAttributes"))
    listed = body.get("Resources")
    resources: list[Any] = listed if isinstance(listed, list) else [body]
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
            continue
        kept = seen.get(resource["id"])
        if not kept:
            continue
        schemas = resource.setdefault("schemas", [])
        for urn, block in kept.items():
            if urn == "schemas":
                continue
            shown = _projected(urn, block, wanted, excluded)
            if shown is None:
                continue
            resource[urn] = shown
            if urn not in schemas:
                schemas.append(urn)
        for uri in kept.get("schemas", []):
            if uri not in schemas:
                schemas.append(uri)


def _names(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [n.strip().lower() for n in raw.split(",") if n.strip()]


def _projected(urn: str, block: Any, wanted: list[str] | None, excluded: list[str] | None) -> Any:
    key = urn.lower()
    if excluded and key in excluded:
        return None
    if wanted is not None and key not in wanted:
        picked = {n[len(key) + 1 :] for n in wanted if n.startswith(key + ":")}
        if not picked or not isinstance(block, dict):
            return None
        block = {k: v for k, v in block.items() if k.lower() in picked}
    if excluded and isinstance(block, dict):
        dropped = {n[len(key) + 1 :] for n in excluded if n.startswith(key + ":")}
        block = {k: v for k, v in block.items() if k.lower() not in dropped}
    return block


def merged(doc: dict[str, Any], kept: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document: the core attributes with the kept extensions (schemas listed too)."""
    out = dict(doc)
    schemas = list(out.get("schemas") or [])
    for urn, block in kept.items():
        if urn == "schemas":
            schemas.extend(u for u in block if u not in schemas)
            continue
        out[urn] = block
        if urn not in schemas:
            schemas.append(urn)
    if schemas:
        out["schemas"] = schemas
    return out
