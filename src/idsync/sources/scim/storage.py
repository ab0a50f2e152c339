"""The SCIM inbox: scim2-server's storage interface over our SQL tables (SQLite or PostgreSQL).

A resource is stored as the JSON document scim2-models produces, plus the extension attributes the
inbox does not define, kept as sent (extensions.py); the values a search or a sync looks
up by (userName, externalId, displayName, members.value) are copied into `scim_keys`, compared as the
attribute's case rules say, and the values of attributes with uniqueness server/global go to
`scim_unique`, whose primary key makes the uniqueness check atomic across processes and replicas.

Searches take one of three paths: an `eq` on an indexed attribute reads only the matching rows; no
filter and no sort pages in SQL by id (stable); anything else loads the searched types and lets
scim2-models evaluate the filter and the sort, so every operator behaves exactly as the library
defines it. What is copied out, and the prebuilt statements that read it, are in storage_keys.py;
`AsyncInboxStorage` (storage_async.py) runs the blocking calls in a worker thread for the ASGI server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Union, cast

import orjson
from scim2_models import (
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from idsync.sources.scim import extensions
from idsync.sources.scim.discovered import Registry
from idsync.sources.scim.extensions import Change, Kept
from idsync.sources.scim.storage_keys import BY_ID, BY_KEY, KeyIndex
from idsync.store.db import read_transaction, write_transaction
from idsync.store.models import ScimKeyRow, ScimResourceRow, ScimTombstoneRow, ScimUniqueRow


def _now() -> datetime:
    return datetime.now(UTC)


def _version(number: int) -> str:
    return f'W/"{number}"'


class InboxStorage(ScimStorage):
    """The resources one scim_inbound connection holds, in the store's database."""

    def __init__(self, engine: Engine, connection: str, provider: ScimProvider) -> None:
        self.engine = engine
        self.connection = connection
        self.provider = provider
        self._models: dict[str, type[Resource[Any]]] = {
            cast(str, rt.name): cast(type[Resource[Any]], provider.model_for(rt))
            for rt in provider.resource_types
        }
        self.schemas = extensions.Schemas(cast(str, schema.id) for schema in provider.schemas)
        self.discovered = Registry()
        """The extension schemas announced for the kept extensions (discovered.py)."""
        self.index = KeyIndex(connection, self._models)

    def model(self, resource_type: str) -> type[Resource[Any]]:
        """The model a stored document of this type is validated with."""
        return self._models[resource_type]

    # --- reads ------------------------------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """The stored resource, or NotFoundException."""
        name = cast(str, resource_type.name)
        with read_transaction(self.engine) as conn:
            body = conn.execute(
                BY_ID, {"connection": self.connection, "name": name, "id": resource_id}
            ).scalar_one_or_none()
        if body is None:
            raise NotFoundException(detail=f"{name} {resource_id!r} not found")
        return self.load(name, body)

    def load(self, resource_type: str, body: str | bytes) -> Resource[Any]:
        """A stored JSON document as the resource type's model; its kept extensions go to the
        request's extension scope (see extensions.py), since the model cannot hold them, and into
        the announced extension schemas, before any answer shows them."""
        doc = orjson.loads(body)
        kept = self.schemas.split(doc)
        if kept:
            self.discovered.fold(resource_type, kept)
        scope = extensions.SCOPE.get()
        if scope is not None and isinstance(doc.get("id"), str):
            scope.seen[doc["id"]] = kept
        return self._models[resource_type].model_validate(doc)

    def _document(self, resource: Resource[Any], kept: Kept) -> str:
        """The JSON document stored for a resource (aliases, no nulls) with its kept extensions."""
        doc = resource.model_dump(mode="json", by_alias=True, scim_ctx=None, exclude_none=True)
        return orjson.dumps(extensions.merged(doc, kept) if kept else doc).decode()

    @staticmethod
    def _pending() -> tuple[extensions.Scope | None, Change | None]:
        scope = extensions.SCOPE.get()
        change = scope.change if scope is not None and not scope.applied else None
        return scope, change

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """One page of the matching resources, sorted by the sort value then id (stable paging)."""
        names = list(dict.fromkeys(cast(str, rt.name) for rt in resource_types))
        scim_filter = search_request.filter
        start = search_request.start_index_0 or 0
        count = search_request.count
        with read_transaction(self.engine) as conn:
            if scim_filter is None and search_request.sort_by is None:
                return self._sql_page(conn, names, start, count)
            rows = self._equal_rows(conn, names, scim_filter) if len(names) == 1 else None
            if rows is None:
                rows = self._rows(conn, names)
        resources = [self.load(name, body) for name, body in rows]
        if scim_filter is not None and not scim_filter.models and resources:
            models = tuple(dict.fromkeys(type(r) for r in resources))
            scim_filter = parametrize(ScimFilter, Union[models])(str(scim_filter))  # noqa: UP007
        found = [r for r in resources if scim_filter is None or scim_filter.match(r)]
        descending = (
            search_request.sort_by is not None
            and search_request.sort_order == SearchRequest.SortOrder.descending
        )

        def key(resource: Resource[Any]) -> tuple[bool, Any, str]:
            value = search_request.sort_value(resource) if search_request.sort_by else None
            return value is None, value if value is not None else "", cast(str, resource.id)

        found.sort(key=key, reverse=descending)
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    def _sql_page(self, conn: Connection, names: list[str], start: int, count: int | None) -> SearchPage:
        where = (ScimResourceRow.connection == self.connection, ScimResourceRow.resource_type.in_(names))
        total = conn.execute(select(func.count()).select_from(ScimResourceRow).where(*where)).scalar_one()
        if count == 0 or start >= total:
            # past the end: no query, whose OFFSET could also overflow the database's 64-bit integers
            # (a client may send any startIndex)
            return SearchPage(total, [])
        query = (
            select(ScimResourceRow.resource_type, ScimResourceRow.body)
            .where(*where)
            .order_by(ScimResourceRow.id, ScimResourceRow.resource_type)
            .offset(start)
        )
        if count is not None:
            query = query.limit(count)
        return SearchPage(total, [self.load(name, body) for name, body in conn.execute(query)])

    def _equal_rows(
        self, conn: Connection, names: list[str], scim_filter: ScimFilter[Any] | None
    ) -> list[tuple[str, str]] | None:
        """The rows matching `attr eq "string"` on an indexed attribute (one indexed query), or None
        when the filter is anything else and the type must be scanned."""
        if scim_filter is None or scim_filter.model is None:
            return None
        node = scim_filter.ast
        if (
            not isinstance(node, Comparison)
            or node.op != CompareOperator.eq
            or not isinstance(node.value, str)
        ):
            return None
        binding = scim_filter.resolve_comparison(node.attr_path, strict=False)
        if binding is None or binding.is_multivalued:
            return None
        urn = self.index.indexed_urn(names[0], binding)
        if urn is None:
            return None
        try:
            value = binding.comparable(node.value)
        except ValueError:
            return []
        parameters = {"connection": self.connection, "name": names[0], "urn": urn, "value": str(value)}
        return [(name, body) for name, body in conn.execute(BY_KEY, parameters)]

    def _rows(self, conn: Connection, names: list[str]) -> list[tuple[str, str]]:
        query = select(ScimResourceRow.resource_type, ScimResourceRow.body).where(
            ScimResourceRow.connection == self.connection, ScimResourceRow.resource_type.in_(names)
        )
        return [(name, body) for name, body in conn.execute(query)]

    # --- writes -----------------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """Store a new resource under a fresh id; UniquenessException when a unique value is taken."""
        name = cast(str, resource_type.name)
        created = resource.model_copy(deep=True)
        created.id = uuid.uuid4().hex
        now = _now()
        created.meta = Meta(resource_type=name, created=now, last_modified=now, version=_version(1))
        scope, change = self._pending()
        body = self._document(created, extensions.apply({}, change))
        try:
            with write_transaction(self.engine) as conn:
                self._write_values(conn, name, created)
                conn.execute(
                    insert(ScimResourceRow).values(
                        connection=self.connection,
                        resource_type=name,
                        id=created.id,
                        body=body,
                        version=1,
                        created_at=now,
                        modified_at=now,
                    )
                )
        except IntegrityError:
            raise UniquenessException(detail=self.index.taken_detail(name, created)) from None
        if scope is not None and change is not None:
            scope.applied = True
        return self.load(name, body)

    def create_many(self, resource_type: ResourceType, resources: Sequence[Resource[Any]]) -> list[str]:
        """Store many new resources in one transaction (seeding a benchmark or a migration; an IdP
        creates one at a time); UniquenessException, and nothing stored, when a unique value is taken."""
        name = cast(str, resource_type.name)
        if not resources:
            return []
        now = _now()
        ids: list[str] = []
        rows: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        uniques: list[dict[str, Any]] = []
        for resource in resources:
            created = resource.model_copy(deep=True)
            created.id = uuid.uuid4().hex
            ids.append(created.id)
            created.meta = Meta(resource_type=name, created=now, last_modified=now, version=_version(1))
            rows.append(
                {
                    "connection": self.connection,
                    "resource_type": name,
                    "id": created.id,
                    "body": self._document(created, {}),
                    "version": 1,
                    "created_at": now,
                    "modified_at": now,
                }
            )
            keys.extend(self.index.key_rows(name, created))
            uniques.extend(self.index.unique_rows(name, created))
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(ScimResourceRow), rows)
                for table, values in ((ScimKeyRow, keys), (ScimUniqueRow, uniques)):
                    if values:
                        conn.execute(insert(table), values)
        except IntegrityError:
            raise UniquenessException(
                detail=f"a {name} of this batch has a unique value already taken"
            ) from None
        return ids

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        """Replace the stored resource; PreconditionFailed when its version moved on meanwhile."""
        name = cast(str, resource_type.name)
        resource_id = cast(str, resource.id)
        try:
            with write_transaction(self.engine) as conn:
                version, created_at, stored = self._locked(conn, name, resource_id)
                if expected_version is not None and expected_version != _version(version):
                    raise PreconditionFailedException(detail=f"{name} {resource_id!r} changed meanwhile")
                now = _now()
                updated = type(resource).model_validate(resource.model_dump(scim_ctx=None))
                updated.meta = Meta(
                    resource_type=name, created=created_at, last_modified=now, version=_version(version + 1)
                )
                scope, change = self._pending()
                body = self._document(updated, extensions.apply(self._kept(stored), change))
                self._drop_values(conn, name, resource_id)
                self._write_values(conn, name, updated)
                conn.execute(
                    update(ScimResourceRow)
                    .where(*self._key(name, resource_id))
                    .values(body=body, version=version + 1, modified_at=now)
                )
        except IntegrityError:
            raise UniquenessException(detail=self.index.taken_detail(name, resource)) from None
        if scope is not None and change is not None:
            scope.applied = True
        return self.load(name, body)

    def keep(
        self, resource_type: str, resource_id: str, change: Change, *, expected_version: str | None = None
    ) -> Kept:
        """Apply an extension change no core write carried (the request changed only extensions, or
        nothing the core stores); the version moves on when the kept part changed. NotFoundException
        when the resource does not exist, PreconditionFailed when `expected_version` (If-Match) is
        not the stored one."""
        with write_transaction(self.engine) as conn:
            version, _, stored = self._locked(conn, resource_type, resource_id)
            if expected_version not in (None, "*") and expected_version != _version(version):
                raise PreconditionFailedException(detail=f"{resource_type} {resource_id!r} changed meanwhile")
            doc = orjson.loads(stored)
            before = self.schemas.split(doc)
            after = extensions.apply(before, change)
            if after != before:
                doc.setdefault("meta", {})["version"] = _version(version + 1)
                doc["meta"]["lastModified"] = _now().isoformat().replace("+00:00", "Z")
                conn.execute(
                    update(ScimResourceRow)
                    .where(*self._key(resource_type, resource_id))
                    .values(
                        body=orjson.dumps(extensions.merged(doc, after)).decode(),
                        version=version + 1,
                        modified_at=_now(),
                    )
                )
        if after:
            self.discovered.fold(resource_type, after)
        return after

    def survey(self) -> None:
        """Fold the kept extensions of every stored resource into the announced schemas (before a
        discovery answer, so it covers what other processes stored too)."""
        with read_transaction(self.engine) as conn:
            rows = [(name, self.all_rows(conn, name)) for name in self._models]
        for name, bodies in rows:
            for body in bodies:
                kept = self.schemas.split(orjson.loads(body))
                if kept:
                    self.discovered.fold(name, kept)

    def _kept(self, body: str) -> Kept:
        return self.schemas.split(orjson.loads(body))

    def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        """Delete a resource and leave a tombstone, so a later sync sees it as gone."""
        name = cast(str, resource_type.name)
        with write_transaction(self.engine) as conn:
            version, _, _ = self._locked(conn, name, resource_id)
            if expected_version is not None and expected_version != _version(version):
                raise PreconditionFailedException(detail=f"{name} {resource_id!r} changed meanwhile")
            self._drop_values(conn, name, resource_id)
            conn.execute(delete(ScimResourceRow).where(*self._key(name, resource_id)))
            conn.execute(
                delete(ScimTombstoneRow).where(
                    ScimTombstoneRow.connection == self.connection,
                    ScimTombstoneRow.resource_type == name,
                    ScimTombstoneRow.id == resource_id,
                )
            )
            conn.execute(
                insert(ScimTombstoneRow).values(
                    connection=self.connection, resource_type=name, id=resource_id, deleted_at=_now()
                )
            )

    def _key(self, name: str, resource_id: str) -> tuple[Any, ...]:
        return (
            ScimResourceRow.connection == self.connection,
            ScimResourceRow.resource_type == name,
            ScimResourceRow.id == resource_id,
        )

    def _locked(self, conn: Connection, name: str, resource_id: str) -> tuple[int, datetime, str]:
        query = select(ScimResourceRow.version, ScimResourceRow.created_at, ScimResourceRow.body).where(
            *self._key(name, resource_id)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundException(detail=f"{name} {resource_id!r} not found")
        return int(row[0]), row[1], row[2]

    def _drop_values(self, conn: Connection, name: str, resource_id: str) -> None:
        conn.execute(
            delete(ScimKeyRow).where(
                ScimKeyRow.connection == self.connection,
                ScimKeyRow.resource_type == name,
                ScimKeyRow.resource_id == resource_id,
            )
        )
        conn.execute(
            delete(ScimUniqueRow).where(
                ScimUniqueRow.connection == self.connection,
                ScimUniqueRow.resource_type == name,
                ScimUniqueRow.resource_id == resource_id,
            )
        )

    def _write_values(self, conn: Connection, name: str, resource: Resource[Any]) -> None:
        keys = self.index.key_rows(name, resource)
        if keys:
            conn.execute(insert(ScimKeyRow), keys)
        uniques = self.index.unique_rows(name, resource)
        if uniques:
            conn.execute(insert(ScimUniqueRow), uniques)

    # --- what the inbox source reads ----------------------------------------------------------------

    def all_rows(self, conn: Connection, name: str) -> list[str]:
        """Every stored document of a resource type (for a full read)."""
        return list(
            conn.execute(
                select(ScimResourceRow.body).where(
                    ScimResourceRow.connection == self.connection, ScimResourceRow.resource_type == name
                )
            ).scalars()
        )

    def ids_by_key(self, conn: Connection, name: str, urn: str, values: Iterable[str]) -> list[str]:
        """Ids of resources of a type whose indexed attribute `urn` holds one of `values` (as compared)."""
        binding = self.index.binding(name, urn)
        compared = [str(binding.comparable(v)) for v in values]
        return list(
            conn.execute(
                select(ScimKeyRow.resource_id).where(
                    ScimKeyRow.connection == self.connection,
                    ScimKeyRow.resource_type == name,
                    ScimKeyRow.urn == urn,
                    ScimKeyRow.value.in_(compared),
                )
            ).scalars()
        )

    def bodies(self, conn: Connection, name: str, ids: Sequence[str]) -> list[str]:
        """The documents of the given ids (missing ones are left out)."""
        if not ids:
            return []
        return list(
            conn.execute(
                select(ScimResourceRow.body).where(
                    ScimResourceRow.connection == self.connection,
                    ScimResourceRow.resource_type == name,
                    ScimResourceRow.id.in_(list(ids)),
                )
            ).scalars()
        )

    def is_tombstone(self, conn: Connection, name: str, resource_id: str) -> bool:
        """Whether the IdP deleted this resource."""
        return (
            conn.execute(
                select(ScimTombstoneRow.id).where(
                    ScimTombstoneRow.connection == self.connection,
                    ScimTombstoneRow.resource_type == name,
                    ScimTombstoneRow.id == resource_id,
                )
            ).first()
            is not None
        )
