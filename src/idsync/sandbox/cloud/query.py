"""What a list or read request asks for beyond the resource: the one filter form Atlassian supports,
`startIndex` / `count` paging, and `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5).

Filters are parsed by scim2-models; Atlassian then accepts exactly one shape: a single `eq`
comparison of one attribute (userName or externalId for users, displayName for groups) with a string.
Anything else, even valid SCIM, answers 400 invalidFilter naming what is supported.

Sorting is not supported (the ServiceProviderConfig says so): `sortBy` and `sortOrder` are ignored
and results keep the directory's stable order (creation order), as RFC servers without sort do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scim2_models import InvalidFilterException, InvalidPathException, Path, ScimFilter
from scim2_models.path import AttrPath, CompareOperator, Comparison
from starlette.requests import Request

from idsync.sandbox.cloud.errors import CloudError
from idsync.sandbox.cloud.models import LIST_RESPONSE

ALWAYS_RETURNED = ("schemas", "id")


@dataclass(frozen=True)
class EqFilter:
    """`<attribute> eq "<value>"`: the attribute as the server spells it, and the value."""

    attribute: str
    value: str


def eq_filter(request: Request, allowed: Sequence[str], core_urn: str) -> EqFilter | None:
    """The request's `filter` as the single `eq` Atlassian supports on one of `allowed` (case-
    insensitive names, optionally prefixed by the core schema URN); None without a filter."""
    text = request.query_params.get("filter")
    if text is None or not text.strip():
        return None
    supported = " or ".join(f'{name} eq "<value>"' for name in allowed)
    refusal = CloudError(
        400, f"Unsupported filter {text!r}: only one of {supported} is supported", "invalidFilter"
    )
    try:
        ast = ScimFilter(text).ast
    except InvalidFilterException as exc:
        raise CloudError(400, f"Invalid filter {text!r}: {exc.detail}", "invalidFilter") from exc
    if not isinstance(ast, Comparison) or ast.op != CompareOperator.eq or not isinstance(ast.value, str):
        raise refusal
    path = ast.attr_path
    if path.sub_attr is not None or (path.uri is not None and path.uri.casefold() != core_urn.casefold()):
        raise refusal
    for name in allowed:
        if path.attr.casefold() == name.casefold():
            return EqFilter(name, ast.value)
    raise refusal


@dataclass(frozen=True)
class Page:
    """`startIndex` (1-based) and `count` after the RFC's corrections and Atlassian's cap."""

    start_index: int
    count: int

    def slice(self, total: int) -> range:
        """The positions (0-based) of the items on this page."""
        first = self.start_index - 1
        return range(min(first, total), min(first + self.count, total))


def page_of(request: Request, max_results: int) -> Page:
    """The page asked for: startIndex < 1 is 1, a negative count is 0 (RFC 7644 §3.4.2.4), and a
    count above `max_results` (or none) is `max_results`."""
    start = _int_param(request, "startIndex", 1)
    count = _int_param(request, "count", max_results)
    return Page(max(1, start), min(max(0, count), max_results))


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise CloudError(
            400, f"Query parameter {name}={raw!r} is invalid; valid: an integer", "invalidValue"
        ) from None


def list_response(resources: list[dict[str, Any]], total: int, page: Page) -> dict[str, Any]:
    """A ListResponse. `itemsPerPage` is the page size asked for (Atlassian echoes it, not the number
    of resources returned), so clients must advance by `len(Resources)`."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": page.start_index,
        "itemsPerPage": page.count,
        "Resources": resources,
    }


@dataclass(frozen=True)
class Projection:
    """`attributes` / `excludedAttributes` of a request, as (container, attribute, sub-attribute)
    triples: container "" is the core schema (the top level), else an extension URN (folded)."""

    include: tuple[tuple[str, str, str | None], ...] = ()
    exclude: tuple[tuple[str, str, str | None], ...] = ()

    def wants(self, attribute: str) -> bool:
        """Whether the answer includes this core attribute at all (to skip rendering it)."""
        folded = attribute.casefold()
        if self.include:
            return any(not c and a == folded for c, a, _ in self.include)
        return not any(not c and a == folded and s is None for c, a, s in self.exclude)

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` reduced as asked: with `attributes`, only those (plus id and schemas); otherwise
        without the excluded ones. Names match case-insensitively (RFC 7643 §2.1)."""
        if self.include:
            return _select(doc, self.include)
        if self.exclude:
            return _drop(doc, self.exclude)
        return doc


def projection_of(request: Request, core_urn: str) -> Projection:
    """The request's `attributes` and `excludedAttributes` (comma-separated attribute paths)."""
    return Projection(
        _paths(request, "attributes", core_urn), _paths(request, "excludedAttributes", core_urn)
    )


def _paths(request: Request, name: str, core_urn: str) -> tuple[tuple[str, str, str | None], ...]:
    raw = request.query_params.get(name, "")
    result: list[tuple[str, str, str | None]] = []
    for text in (part.strip() for part in raw.split(",")):
        if not text:
            continue
        try:
            ast = Path(text).ast
        except (InvalidPathException, ValueError) as exc:
            raise CloudError(400, f"{name}: {text!r} is not an attribute path", "invalidPath") from exc
        if not isinstance(ast, AttrPath):
            raise CloudError(
                400, f"{name}: {text!r} is not an attribute path (no filters here)", "invalidPath"
            )
        uri = (ast.uri or "").casefold()
        container = "" if uri in ("", core_urn.casefold()) else uri
        result.append((container, ast.attr.casefold(), ast.sub_attr.casefold() if ast.sub_attr else None))
    return tuple(result)


def _key(doc: dict[str, Any], folded: str) -> str | None:
    for key in doc:
        if key.casefold() == folded:
            return key
    return None


def _container(doc: dict[str, Any], container: str) -> dict[str, Any] | None:
    if not container:
        return doc
    key = _key(doc, container)
    value = doc.get(key) if key else None
    return value if isinstance(value, dict) else None


def _select(doc: dict[str, Any], include: tuple[tuple[str, str, str | None], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {k: doc[k] for k in ALWAYS_RETURNED if k in doc}
    for container, attr, sub in include:
        source = _container(doc, container)
        key = _key(source, attr) if source is not None else None
        if source is None or key is None:
            continue
        target = out
        if container:
            urn_key = _key(doc, container)
            assert urn_key is not None
            target = out.setdefault(urn_key, {})
        value = source[key]
        if sub is None:
            target[key] = value
        elif isinstance(value, dict):
            sub_key = _key(value, sub)
            if sub_key is not None:
                target.setdefault(key, {})[sub_key] = value[sub_key]
        elif isinstance(value, list):
            picked = target.setdefault(key, [{} for _ in value])
            for item, into in zip(value, picked, strict=True):
                sub_key = _key(item, sub) if isinstance(item, dict) else None
                if sub_key is not None:
                    into[sub_key] = item[sub_key]
    return out


def _drop(doc: dict[str, Any], exclude: tuple[tuple[str, str, str | None], ...]) -> dict[str, Any]:
    out = dict(doc)
    for container, attr, sub in exclude:
        if not container and attr in ALWAYS_RETURNED:
            continue
        if container:
            urn_key = _key(out, container)
            if urn_key is None or not isinstance(out[urn_key], dict):
                continue
            out[urn_key] = target = dict(out[urn_key])
        else:
            target = out
        key = _key(target, attr)
        if key is None:
            continue
        if sub is None:
            del target[key]
        elif isinstance(target[key], dict):
            target[key] = {k: v for k, v in target[key].items() if k.casefold() != sub}
        elif isinstance(target[key], list):
            target[key] = [
                {k: v for k, v in item.items() if k.casefold() != sub} if isinstance(item, dict) else item
                for item in target[key]
            ]
    return out
