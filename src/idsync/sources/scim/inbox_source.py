"""The SCIM inbox as a Source: `idsync sync <profile>` reconciles from what the IdPs pushed, and each
push is provisioned as a single-user run (read_user) or, for group pushes, a full run.

Attribute names follow the other sources so the default rules work unchanged: `login` (userName),
`email` (the primary email, else the work email, else the first), `firstName`, `lastName`,
`displayName`; the SCIM names are kept too (`userName`, `externalId`, `name.givenName`, `title`, ...),
and enterprise-extension attributes appear both bare (`employeeNumber`) and URN-qualified. Attributes
of extensions the inbox does not define (Okta custom attributes, Entra custom extensions; kept as sent,
see extensions.py) appear the same way: `urn:…:User:costCenter` and, unless a core or enterprise
attribute already has the name, bare `costCenter`; a complex value's sub-attributes as
`urn:…:User:manager.value` and `manager.value`. A rule names the URN form as a plain attribute
(`custom_attributes: {cost_center: "urn:…:User:costCenter"}`) and the bare form inside templates
(`"{costCenter}"`: a `:` inside braces is read as a format spec). Status is "ACTIVE" or "INACTIVE" from
`active` (absent means active, RFC 7643 §4.1.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from scim2_models import ScimProvider
from sqlalchemy.engine import Engine

from idsync.domain.errors import NotFoundError
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import AttrValue, Snapshot, SourceGroup, SourceUser
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.storage import InboxStorage
from idsync.store.db import read_transaction

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_CORE = "urn:ietf:params:scim:schemas:core:"


def user_record(doc: Mapping[str, Any]) -> SourceUser:
    """A stored SCIM user document as a SourceUser."""
    attrs: dict[str, AttrValue] = {}
    for key, value in doc.items():
        if isinstance(value, str | bool | int | float) and key != "schemas":
            attrs[key] = value
    name = doc.get("name") or {}
    for key, value in name.items():
        if isinstance(value, str):
            attrs[f"name.{key}"] = value
    attrs["login"] = doc.get("userName")
    attrs["firstName"] = name.get("givenName")
    attrs["lastName"] = name.get("familyName")
    emails = [e for e in doc.get("emails") or [] if isinstance(e, dict) and e.get("value")]
    chosen = (
        next((e for e in emails if e.get("primary")), None)
        or next((e for e in emails if str(e.get("type", "")).lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    attrs["email"] = chosen["value"] if chosen else None
    for email in emails:
        if email.get("type"):
            attrs.setdefault(f"emails.{email['type']}", email["value"])
    for key, value in (doc.get(ENTERPRISE) or {}).items():
        if isinstance(value, str | bool | int | float):
            attrs.setdefault(key, value)
            attrs[f"{ENTERPRISE}:{key}"] = value
    _add_kept(attrs, doc)
    active = doc.get("active")
    status = "INACTIVE" if active is False else "ACTIVE"
    return SourceUser(
        id=str(doc["id"]), status=status, attributes={k: v for k, v in attrs.items() if v is not None}
    )


def group_record(doc: Mapping[str, Any], only: str | None = None) -> SourceGroup:
    """A stored SCIM group document as a SourceGroup (members limited to `only` when given)."""
    members = frozenset(
        str(m["value"])
        for m in doc.get("members") or []
        if isinstance(m, dict) and m.get("value") and str(m.get("type", "User")) != "Group"
    )
    if only is not None:
        members = members & {only}
    attrs: dict[str, AttrValue] = {"externalId": doc.get("externalId")}
    _add_kept(attrs, doc)
    return SourceGroup(
        id=str(doc["id"]),
        name=str(doc.get("displayName", "")),
        member_ids=members,
        attributes={k: v for k, v in attrs.items() if v is not None},
    )


def _add_kept(attrs: dict[str, AttrValue], doc: Mapping[str, Any]) -> None:
    """The attributes of kept extensions (URN keys other than the enterprise extension), flattened."""
    for urn, block in doc.items():
        if (
            ":" not in urn
            or urn == ENTERPRISE
            or urn.lower().startswith(_CORE)
            or not isinstance(block, dict)
        ):
            continue
        for name, value in _flat(block):
            attrs[f"{urn}:{name}"] = value
            attrs.setdefault(name, value)


def _flat(block: Mapping[str, Any], prefix: str = "") -> list[tuple[str, AttrValue]]:
    out: list[tuple[str, AttrValue]] = []
    for key, value in block.items():
        name = f"{prefix}{key}"
        if isinstance(value, str | bool | int | float):
            out.append((name, value))
        elif isinstance(value, dict):
            out.extend(_flat(value, f"{name}."))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out.append((name, list(value)))
    return out


class ScimInboxSource:
    """Reads one scim_inbound connection's inbox from the store's database."""

    def __init__(
        self, name: str, engine: Engine, provider: ScimProvider | None = None, *, owns_engine: bool = False
    ):
        self.name = name
        self.engine = engine
        self.storage = InboxStorage(engine, name, provider or inbox_provider())
        self._owns_engine = owns_engine

    async def read(self, progress: Progress) -> Snapshot:
        """Every user and group in the inbox (one consistent read transaction)."""
        with read_transaction(self.engine) as conn:
            users = [orjson.loads(b) for b in self.storage.all_rows(conn, "User")]
            groups = [orjson.loads(b) for b in self.storage.all_rows(conn, "Group")]
        return Snapshot(
            source=self.name,
            users={str(d["id"]): user_record(d) for d in users},
            groups={str(d["id"]): group_record(d) for d in groups},
            read_at=datetime.now(UTC),
            scope=f"SCIM inbox {self.name}",
        )

    async def read_user(self, login: str) -> Snapshot:
        """One user by inbox id or userName, with their groups. A user the IdP deleted gives an empty
        snapshot whose `single_user` is that id, so the profile's when_removed applies to it."""
        with read_transaction(self.engine) as conn:
            bodies = self.storage.bodies(conn, "User", [login])
            if not bodies:
                ids = self.storage.ids_by_key(conn, "User", "userName", [login])
                bodies = self.storage.bodies(conn, "User", ids)
            if not bodies:
                if self.storage.is_tombstone(conn, "User", login):
                    return Snapshot(
                        self.name,
                        {},
                        {},
                        datetime.now(UTC),
                        scope=f"SCIM inbox {self.name}",
                        single_user=login,
                    )
                raise NotFoundError(f"the SCIM inbox {self.name!r} has no user with id or userName {login!r}")
            doc = orjson.loads(bodies[0])
            user_id = str(doc["id"])
            group_ids = self.storage.ids_by_key(conn, "Group", "members.value", [user_id])
            groups = [orjson.loads(b) for b in self.storage.bodies(conn, "Group", group_ids)]
        return Snapshot(
            source=self.name,
            users={user_id: user_record(doc)},
            groups={str(g["id"]): group_record(g, only=user_id) for g in groups},
            read_at=datetime.now(UTC),
            scope=f"SCIM inbox {self.name}",
            single_user=user_id,
        )

    async def check(self) -> str:
        """How many users and groups the inbox holds."""
        snapshot = await self.read(NO_PROGRESS)
        return f"SCIM inbox {self.name!r}: {len(snapshot.users)} users, {len(snapshot.groups)} groups"

    async def aclose(self) -> None:
        """Dispose the engine when this source opened it."""
        if self._owns_engine:
            self.engine.dispose()
