"""The root of the configuration (docs/configuration.md): database, connections, profiles, server.

Field-level rules live in `connections` and `profiles`; this module adds what only the whole file can
check: that a profile's `source` and `targets` name connections of the right kind. Those problems are
raised together as one `PydanticCustomError` of type `cross_reference` whose context carries each
problem as (key path, message), so the loader can print one line per problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from idsync.config.connections import SERVICE_DESK_TYPES, SOURCE_TYPES, TARGET_TYPES, Connection
from idsync.config.profiles import Profile

SUPPORTED_CONNECTION_TYPES = SOURCE_TYPES | TARGET_TYPES | SERVICE_DESK_TYPES
DEFAULT_DATABASE = "sqlite:///idsync.db"
CROSS_REFERENCE_ERROR = "cross_reference"
BASE_DIR_CONTEXT = "base_dir"
"""Validation context key: the config file's folder, against which relative SQLite paths resolve."""

_DATABASE_DRIVERS = ("sqlite", "postgresql")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    """Where `idsync serve` listens, and how it stops."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    stop_grace_seconds: float = Field(10.0, ge=0)
    """On SIGTERM, how long a scheduled run in progress may take to end before it is cancelled and
    recorded as interrupted."""


def resolve_database_url(value: str, base_dir: Path | None) -> str:
    """Check a SQLAlchemy URL names SQLite or PostgreSQL, and anchor a relative SQLite file at
    `base_dir` so the database does not move with the working directory."""
    try:
        url = make_url(value)
    except ArgumentError:
        # The value may carry a password: never echo it.
        raise ValueError(
            "must be a database URL such as sqlite:///idsync.db or postgresql+psycopg://user:pw@host/db"
        ) from None
    backend = url.get_backend_name()
    if backend not in _DATABASE_DRIVERS:
        raise ValueError(f"database {backend!r} is not supported; valid: sqlite, postgresql")
    if backend == "sqlite" and base_dir is not None:
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.is_absolute():
                return url.set(database=str((base_dir / path).resolve())).render_as_string(
                    hide_password=False
                )
    return value


class IdsyncConfig(_Strict):
    """A whole idsync.yaml, validated: every profile refers to connections that exist and fit."""

    database: str = Field(DEFAULT_DATABASE, repr=False, validate_default=True)
    """SQLAlchemy URL; not in repr because a PostgreSQL URL may carry a password."""
    connections: dict[str, Connection] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    server: ServerSettings | None = None

    @field_validator("database")
    @classmethod
    def _database(cls, value: str, info: ValidationInfo) -> str:
        context = info.context if isinstance(info.context, dict) else {}
        base_dir = context.get(BASE_DIR_CONTEXT)
        return resolve_database_url(value, base_dir if isinstance(base_dir, Path) else None)

    @model_validator(mode="after")
    def _cross_references(self) -> IdsyncConfig:
        problems = cross_reference_problems(self)
        if problems:
            raise PydanticCustomError(
                CROSS_REFERENCE_ERROR,
                "{summary}",
                {"summary": "; ".join(f"{path}: {message}" for path, message in problems),
                 "problems": tuple(problems)},
            )
        return self

    @property
    def database_display(self) -> str:
        """The database URL with any password hidden, for logs and `idsync check`."""
        return make_url(self.database).render_as_string(hide_password=True)


def _names(names: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"


def cross_reference_problems(config: IdsyncConfig) -> list[tuple[str, str]]:
    """Every profile reference that names a missing connection or one of the wrong kind."""
    types: dict[str, str | None] = {name: connection.type for name, connection in config.connections.items()}
    problems = reference_problems(
        types, {name: (profile.source, profile.targets) for name, profile in config.profiles.items()},
    )
    for name, profile in config.profiles.items():
        if profile.service_desks is not None:
            problems += service_desk_problems(types, name, profile.service_desks.connection)
    return problems


def service_desk_problems(
    types: Mapping[str, str | None], profile: str, connection: str
) -> list[tuple[str, str]]:
    """A profile's `service_desks.connection` must name a jira or jira_cloud connection."""
    path = f"profiles.{profile}.service_desks.connection"
    desks = {name for name, kind in types.items() if kind in SERVICE_DESK_TYPES}
    if connection not in types:
        return [(path, f"no connection named {connection!r}; jira and jira_cloud connections: "
                 f"{_names(desks)}")]
    kind = types[connection]
    if kind is not None and kind not in SERVICE_DESK_TYPES:
        return [(path, f"connection {connection!r} has type {kind!r}, which holds no service desks "
                 f"(valid: {_names(SERVICE_DESK_TYPES)}); jira and jira_cloud connections: {_names(desks)}")]
    return []


def reference_problems(
    types: Mapping[str, str | None], profiles: Mapping[str, tuple[str, Sequence[str]]]
) -> list[tuple[str, str]]:
    """The cross-checks on plain names, so the loader can run them on a file that also has other
    errors. `types` maps connection name → type (None: unknown, references to it are not judged)."""
    problems: list[tuple[str, str]] = []
    sources = {name for name, kind in types.items() if kind in SOURCE_TYPES}
    targets = {name for name, kind in types.items() if kind in TARGET_TYPES}
    for profile_name, (source, profile_targets) in profiles.items():
        path = f"profiles.{profile_name}"
        if source not in types:
            problems.append((f"{path}.source", f"no connection named {source!r}; "
                             f"source connections: {_names(sources)}"))
        elif types[source] is not None and source not in sources:
            problems.append((f"{path}.source", f"connection {source!r} has type "
                             f"{types[source]!r}, which is not a source "
                             f"({_names(SOURCE_TYPES)}); source connections: {_names(sources)}"))
        seen: set[str] = set()
        for index, target in enumerate(profile_targets):
            where = f"{path}.targets[{index}]"
            if target in seen:
                problems.append((where, f"target {target!r} is listed twice"))
            seen.add(target)
            if target not in types:
                problems.append((where, f"no connection named {target!r}; "
                                 f"target connections: {_names(targets)}"))
            elif types[target] is not None and target not in targets:
                problems.append((where, f"connection {target!r} has type {types[target]!r}, which is "
                                 f"not a target ({_names(TARGET_TYPES)}); target connections: "
                                 f"{_names(targets)}"
                                 + ("; a jira_cloud connection serves only service_desks.connection"
                                    if types[target] == "jira_cloud" else "")))
    return problems


def raw_reference_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`reference_problems` on unvalidated YAML data (malformed parts are skipped: their own
    validation errors already report them)."""
    connections = data.get("connections")
    profiles = data.get("profiles")
    types: dict[str, str | None] = {}
    if isinstance(connections, Mapping):
        for name, body in connections.items():
            kind = body.get("type") if isinstance(body, Mapping) else None
            types[str(name)] = kind if isinstance(kind, str) else None
    refs: dict[str, tuple[str, Sequence[str]]] = {}
    if isinstance(profiles, Mapping):
        for name, body in profiles.items():
            if not isinstance(body, Mapping):
                continue
            source, targets = body.get("source"), body.get("targets")
            if isinstance(source, str) and isinstance(targets, list) and all(
                isinstance(t, str) for t in targets
            ):
                refs[str(name)] = (source, targets)
    return reference_problems(types, refs)
