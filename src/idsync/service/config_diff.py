"""The review form of an edit: a unified diff of the config file, with every secret written literally
in the file masked.

Secrets belong in `${ENV}` references, which the diff shows as they are; but a file may still hold a
literal token or password, and a context line of the diff may be that line. The secret keys are found
from the connection models (every SecretStr field, at any depth), so a new connection type's secret is
masked without a change here.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from idsync.config.connections import Connection

MASK = "***"
_ENV_ONLY = re.compile(r"(\$\{[A-Z_][A-Z0-9_]*\})+")
_URL_PASSWORD = re.compile(r"://[^/@:\s]*:([^@/\s]+)@")


def unified_diff(old: str, new: str, name: str, secrets: Iterable[str] = ()) -> str:
    """The change as a unified diff, with every secret value in it replaced by ***."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def literal_secrets(tree: Mapping[str, Any]) -> set[str]:
    """Secret values written literally in the file (not as `${ENV}`): connection secrets and the
    password of the database URL."""
    found: set[str] = set()
    keys = _secret_keys()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in keys and isinstance(value, str) and value and not _ENV_ONLY.fullmatch(value):
                    found.add(str(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree.get("connections"))
    database = tree.get("database")
    if isinstance(database, str):
        found.update(
            m.group(1) for m in _URL_PASSWORD.finditer(database) if not _ENV_ONLY.fullmatch(m.group(1))
        )
    return found


def _secret_keys() -> frozenset[str]:
    """Names of every secret field of every connection type (and of the models inside them)."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for key, info in model.model_fields.items():
            annotation = info.annotation
            members = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
            if annotation is SecretStr or SecretStr in members:
                names.add(key)
            for candidate in (annotation, *members):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    walk(candidate)

    union = get_args(Connection)[0]
    for member in get_args(union):
        if isinstance(member, type) and issubclass(member, BaseModel):
            walk(member)
    return frozenset(names)
