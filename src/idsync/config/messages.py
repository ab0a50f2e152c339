"""Turn pydantic validation errors into one line per problem: file, key path, value, what is valid.

Pydantic reports locations as tuples that include discriminator tags and `[key]` markers; this module
walks the config models along each location to print the path a person wrote in YAML
(`profiles.okta-to-jira.users.when_removed`), to list the valid values of a Literal, to suggest the
nearest field name for an unknown key, and to recognise secret fields whose value must never be shown.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic_core import ErrorDetails

from idsync.config.model import (
    CROSS_REFERENCE_ERROR,
    SUPPORTED_CONNECTION_TYPES,
    IdsyncConfig,
)

_MAX_SHOWN = 60
SECRET_MASK = "'***'"


@dataclass(frozen=True, slots=True)
class _Location:
    """Where an error sits, as a person reads it, and what the models say about that place."""

    path: str
    """Dotted path as written in YAML (discriminator tags dropped, list indices in brackets)."""
    parent_path: str
    annotation: Any
    """The declared type at the location (None when the location is not a declared field)."""
    parent_model: type[BaseModel] | None
    """The model whose field list the last path segment was looked up in."""
    key_type: Any
    """For an error on a mapping key (`[key]`): the declared key type."""
    secret: bool


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional so the walk sees the type that validates the value."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _tagged_member(annotation: Any, tag: object) -> type[BaseModel] | None:
    """The member of a discriminated union whose `type` literal equals `tag`."""
    if get_origin(annotation) not in (Union, types.UnionType):
        return None
    for member in get_args(annotation):
        fields = member.model_fields if _is_model(member) else {}
        if "type" in fields and tag in get_args(fields["type"].annotation):
            return member  # type: ignore[no-any-return]
    return None


def _join(parts: Sequence[str]) -> str:
    return ".".join(parts)


def locate(loc: Sequence[int | str], root: type[BaseModel] = IdsyncConfig) -> _Location:
    """Walk `root` along a pydantic error location."""
    annotation: Any = root
    parts: list[str] = []
    parent_model: type[BaseModel] | None = None
    key_type: Any = None
    for index, segment in enumerate(loc):
        annotation = _unwrap(annotation)
        if segment == "[key]":
            continue
        if _is_model(annotation):
            parent_model = annotation
            field = annotation.model_fields.get(str(segment))
            parts.append(str(segment))
            annotation = field.annotation if field is not None else None
            continue
        origin = get_origin(annotation)
        if origin is dict:
            key_annotation, value_annotation = get_args(annotation)
            parts.append(str(segment))
            if index + 1 < len(loc) and loc[index + 1] == "[key]":
                key_type = key_annotation
                annotation = None
            else:
                annotation = value_annotation
            continue
        if origin in (list, tuple, set, frozenset) and isinstance(segment, int):
            if parts:
                parts[-1] = f"{parts[-1]}[{segment}]"
            else:
                parts.append(f"[{segment}]")
            annotation = get_args(annotation)[0] if get_args(annotation) else None
            continue
        member = _tagged_member(annotation, segment)
        if member is not None:
            annotation = member  # a discriminator tag: not part of the YAML path
            continue
        parts.append(str(segment))
        annotation = None
    final = _unwrap(annotation)
    secret_seen = final is SecretStr or (
        get_origin(final) in (Union, types.UnionType) and SecretStr in get_args(final)
    )
    return _Location(
        path=_join(parts),
        parent_path=_join(parts[:-1]),
        annotation=final,
        parent_model=parent_model,
        key_type=_unwrap(key_type) if key_type is not None else None,
        secret=secret_seen,
    )


def show(value: object) -> str:
    """A short, quoted rendering of a bad value."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _literal_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return []


def _suggest(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown_key(key: str, valid: Sequence[str]) -> str:
    nearest = _suggest(key, valid)
    if nearest is not None:
        return f"unknown key {key!r} — did you mean {nearest!r}?"
    return f"unknown key {key!r}; valid keys: {', '.join(valid) or '(none)'}"


def _prefix(path: str) -> str:
    return f"{path}: " if path else ""


def describe(error: ErrorDetails) -> list[str]:
    """One or more "path: problem" lines for one pydantic error (no file name, secrets not yet
    scrubbed of environment values)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == CROSS_REFERENCE_ERROR:
        return [f"{path}: {message}" for path, message in ctx.get("problems", ())]
    where = locate(error["loc"])
    value = SECRET_MASK if where.secret else show(error.get("input"))
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        fields = list(where.parent_model.model_fields) if where.parent_model else []
        return [_prefix(where.parent_path) + _unknown_key(key, fields)]
    if error["loc"] and error["loc"][-1] == "[key]":
        key = str(error.get("input"))
        valid = _literal_values(where.key_type)
        if valid:
            return [_prefix(where.parent_path) + _unknown_key(key, valid) + f" (valid: {', '.join(valid)})"]
        return [_prefix(where.parent_path) + f"key {show(key)} is not valid: {error['msg']}"]
    if kind == "union_tag_invalid":
        return [_prefix(where.path + ".type") + _connection_type(str(ctx.get("tag")))]
    if kind == "union_tag_not_found":
        if not isinstance(error.get("input"), Mapping):
            return [_prefix(where.path) + f"expected a mapping with a type: key, got {value}"]
        return [_prefix(where.path) + "missing key 'type'; valid: " + _types()]
    if kind == "missing":
        return [_prefix(where.path) + "required key is missing"]
    if kind == "literal_error":
        valid = _literal_values(where.annotation)
        listed = ", ".join(valid) if valid else str(ctx.get("expected", ""))
        return [_prefix(where.path) + f"{value} is not valid; valid: {listed}"]
    if kind in ("value_error", "assertion_error"):
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return [_prefix(where.path) + message]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return [_prefix(where.path) + f"expected a mapping of keys, got {value}"]
    message = error["msg"][:1].lower() + error["msg"][1:]
    return [_prefix(where.path) + f"{message}, got {value}"]


def _types() -> str:
    return ", ".join(sorted(SUPPORTED_CONNECTION_TYPES))


def _connection_type(tag: str) -> str:
    nearest = _suggest(tag, sorted(SUPPORTED_CONNECTION_TYPES))
    hint = f" — did you mean {nearest!r}?" if nearest else ""
    return f"{show(tag)} is not a connection type; valid: {_types()}{hint}"
