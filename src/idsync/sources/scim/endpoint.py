"""One SCIM mount (`/scim/v2/<connection>` or `/scim/v1/<connection>`): scim2-server's protocol core
over the inbox, behind bearer-token auth, a body-size limit and the client compatibility passes.

    wire request ─► size limit (413) ─► auth (401) ─► compat passes ─► extensions out ─► core ─► storage
                                                                                            │
    wire response ◄─ 1.1 translation ◄─ extensions back in ◄──────────── response ◄─────────┘
                                                                           └──► on_write(kind, id)

GET /Users/{id} and `eq` searches on an indexed attribute, the reads IdPs repeat, are answered from
the stored document without the core when that gives the core's answer (fast_reads.py).

An accepted write (2xx on POST/PUT/PATCH/DELETE of Users or Groups) calls `on_write`, which queues
the object for provisioning; provisioning never delays or fails the SCIM answer.

On the 2.0 mount the extensions put back into an answer are only those the inbox announces, and
/Schemas and /ResourceTypes announce them next to the RFC schemas (discovered.py): a strict client
checks every resource against what discovery told it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, cast

import orjson
from scim2_models import (
    Context,
    ListResponse,
    NotFoundException,
    PayloadTooLargeException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    Schema,
    SchemaExtension,
    ScimProvider,
    SearchRequest,
    UnauthorizedException,
)
from scim2_server.applications.asgi import ASGIApplication, Receive, Scope, Send
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from sqlalchemy.engine import Engine

from idsync.sources.scim import extensions, tokens
from idsync.sources.scim.compat import WireRequest, scim11, v2_request_passes
from idsync.sources.scim.discovered import Registry
from idsync.sources.scim.fast_reads import FastReads
from idsync.sources.scim.storage_async import AsyncInboxStorage
from idsync.sources.scim.wire import header_uri, request_head, text

log = logging.getLogger("idsync.scim")

OnWrite = Callable[[str, str, str], None]
"""(resource type "User"/"Group", resource id, operation "create"/"replace"/"patch"/"delete")."""

_WRITES = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}
_TOKEN_CACHE_SECONDS = 2.0


class InboxService(ScimService):
    """The protocol core with our answer to PATCH: 200 + resource for users, 204 for groups (the RFC
    allows either: Okta accepts both, Entra prefers 204 for groups, which may be large)."""

    max_body_bytes: int | None = None
    discovered: Registry | None = None
    """The extension schemas announced next to the provider's (discovered.py)."""

    def read_search(self, resource_types: list[ResourceType], payload: Any) -> tuple[SearchRequest[Any], Any]:
        """The core's search parameters, without `cursor`: the inbox pages by index only and does not
        announce cursors (RFC 9865), and RFC 7644 §3.4.2 says a parameter the provider does not
        recognise is ignored, not refused (the core answered it 501, or 400 with a scimType RFC 7644
        does not define)."""
        if isinstance(payload, dict) and not (self.config.pagination and self.config.pagination.cursor):
            payload = {k: v for k, v in payload.items() if str(k).casefold() != "cursor"}
        return super().read_search(resource_types, payload)

    def max_body_size(self, request: ScimRequest) -> int | None:
        """Read at most one byte past the connection's limit, so a larger body gets 413 cheaply."""
        return self.max_body_bytes

    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """200 with the user; 204 for a group unless attributes were asked for."""
        if resource.meta is not None and resource.meta.resource_type == "User":
            published = self.publish(base_url, resource)
            return self.resource_response(
                published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
            )
        return super().patch_response(base_url, resource, response_parameters)

    # --- discovery: the provider's schemas and resource types, with the discovered extensions -------

    def published_schemas(self) -> list[Schema]:
        """The RFC schemas the provider defines, then the discovered extension schemas."""
        found = self.discovered.schemas() if self.discovered is not None else []
        return [*self.provider.schemas, *found]

    def published_resource_types(self) -> list[ResourceType]:
        """The provider's resource types, each naming the discovered extensions seen on it too."""
        out = []
        for resource_type in self.provider.resource_types:
            found = self.discovered.extensions_of(cast(str, resource_type.name)) if self.discovered else []
            if found:
                declared = [*(resource_type.schema_extensions or [])]
                declared += [SchemaExtension(schema_=urn, required=False) for urn in found]
                resource_type = resource_type.model_copy(update={"schema_extensions": declared})
            out.append(resource_type)
        return out

    def resource_types(self, location: str, query: Mapping[str, str]) -> ScimResponse:
        """Every resource type (see published_resource_types)."""
        self.forbid_filter(query)
        types = self.published_resource_types()
        return _listed([self.locate(t, f"{location}/{t.id}") for t in types], ResourceType)

    def resource_type(self, location: str, resource_type_id: str, query: Mapping[str, str]) -> ScimResponse:
        """One resource type (see published_resource_types)."""
        self.forbid_filter(query)
        for resource_type in self.published_resource_types():
            if resource_type.id == resource_type_id:
                return self.discovery_response(self.locate(resource_type, location))
        raise NotFoundException(detail=f"Resource type {resource_type_id!r} not found")

    def schemas(self, location: str, query: Mapping[str, str]) -> ScimResponse:
        """Every schema (see published_schemas)."""
        self.forbid_filter(query)
        return _listed([self.locate(s, f"{location}/{s.id}") for s in self.published_schemas()], Schema)

    def schema(self, location: str, schema_id: str, query: Mapping[str, str]) -> ScimResponse:
        """One schema (see published_schemas); ids compare case-insensitively (RFC 7643 §2.1)."""
        self.forbid_filter(query)
        for schema in self.published_schemas():
            if cast(str, schema.id).lower() == schema_id.lower():
                return self.discovery_response(self.locate(schema, location))
        raise NotFoundException(detail=f"Schema {schema_id!r} not found")


def _listed(resources: list[Any], kind: type[Schema] | type[ResourceType]) -> ScimResponse:
    response = ListResponse[kind](  # type: ignore[valid-type]
        total_results=len(resources), items_per_page=len(resources), start_index=1, resources=resources
    )
    return ScimResponse(HTTPStatus.OK, response.model_dump())


class ScimEndpoint(ASGIApplication):
    """The ASGI app of one scim_inbound connection, for one SCIM version."""

    def __init__(
        self,
        connection: str,
        storage: AsyncInboxStorage,
        provider: ScimProvider,
        engine: Engine,
        *,
        max_body_bytes: int,
        version: str = "v2",
        on_write: OnWrite | None = None,
        fast_reads: bool = True,
    ) -> None:
        service = InboxService(provider)
        service.max_body_bytes = max_body_bytes
        service.discovered = storage.storage.discovered
        super().__init__(storage, provider, service)
        self.connection = connection
        self.engine = engine
        self.max_body_bytes = max_body_bytes
        self.version = version
        self.on_write = on_write
        self.inbox = storage
        self.schemas = extensions.Schemas(cast(str, schema.id) for schema in provider.schemas)
        self._token_hash: str | None = None
        self._token_read_at = float("-inf")
        self._passes = ((scim11.normalise,) if version == "v1" else ()) + v2_request_passes()
        self._fast = (
            FastReads(storage.storage, service.resource_location) if fast_reads and version == "v2" else None
        )
        """The direct path of the hot reads (fast_reads.py); `fast_reads=False` leaves every request
        to the core (the tests compare both)."""
        self.fast_served = 0
        """How many requests the direct path answered (the rest went to the core)."""

    # --- wire in ----------------------------------------------------------------------------------

    @staticmethod
    def get_base_url(scope: Scope) -> str:
        """The mount's URL as the client sees it (no extra /v2: the mount path carries the version)."""
        headers = dict(scope["headers"])
        host = text(headers.get(b"host", b""))  # any bytes (wire.py)
        if not host and scope.get("server"):
            host = "{}:{}".format(*scope["server"])
        return f"{scope['scheme']}://{host}{scope.get('root_path', '')}"

    async def read_request(self, scope: Scope, receive: Receive) -> ScimRequest:
        """The request as scim2-server reads it, but with headers and query decoded so that no byte
        sequence fails (wire.py); the body is read up to one byte past the size limit."""
        request = request_head(scope, self.get_base_url(scope), self.split_path(self.get_path(scope)))
        limit = self.service.max_body_size(request)
        body = b""
        more_body = True
        while more_body:
            message = await receive()
            if limit is None or len(body) <= limit:
                body += message.get("body", b"")
            more_body = message.get("more_body", False)
        request.body = body if limit is None else body[: limit + 1]
        return request

    async def serve(self, request: ScimRequest) -> ScimResponse:
        """Size limit, auth, compat passes, the core, then the 1.1 translation and the write hook."""
        wire = WireRequest.of(
            request.method, request.path, dict(request.query), request.header("Content-Type"), request.body
        )
        try:
            if len(request.body) > self.max_body_bytes:
                raise PayloadTooLargeException(
                    detail=f"the request body is over the {self.max_body_bytes}-byte limit of connection "
                    f"{self.connection!r} (scim_inbound max_body_bytes)"
                )
            self.check_auth(request)
            if self.version == "v1" and wire.endpoint in scim11.DISCOVERY and wire.method != "GET":
                response = ScimResponse(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    {
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                        "status": "405",
                        "detail": f"{wire.endpoint} is read-only (GET)",
                    },
                    {"Allow": "GET"},
                )
            else:
                for normalise in self._passes:
                    normalise(wire)
                fast = await self._fast_answer(request, wire)
                response = fast if fast is not None else await self._core(request, wire)
                self._written(wire, response)
        except Exception as exception:
            response = self.handle_exception(request, exception)
        if self.version == "v1":
            response = scim11.response(wire, response)
        return self.finalize_response(request, response)

    async def _fast_answer(self, request: ScimRequest, wire: WireRequest) -> ScimResponse | None:
        """The direct answer to a hot read, or None for the core (fast_reads.py)."""
        if self._fast is None:
            return None
        conditional = any(name.lower().startswith("if-") for name, _ in _with_content_type(request, None))
        if self._fast.reads.inline:
            answer = self._fast.answer(wire, conditional, request.base_url)
        else:
            answer = await asyncio.to_thread(self._fast.answer, wire, conditional, request.base_url)
        if answer is not None:
            self.fast_served += 1
        return answer

    @staticmethod
    async def send_response(response: ScimResponse, send: Send) -> None:
        """The response on the wire, its body written by orjson (the core's json.dumps cost more than
        the read); a body orjson refuses (an integer past 64 bits a client stored) by json.dumps."""
        body = b""
        if response.body is not None:
            try:
                body = orjson.dumps(response.body)
            except TypeError:
                body = json.dumps(response.body).encode()
        headers = [(name.encode(), value.encode()) for name, value in response.headers.items()]
        if int(response.status) not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            # with a length uvicorn sends the body as it is, not as chunks and a last empty chunk
            # (RFC 9110 §8.6: never on a 204; a 304 would have to carry the 200's length)
            headers.append((b"content-length", str(len(body)).encode()))
        await send(
            {
                "type": "http.response.start",
                "status": int(response.status),
                "headers": headers,
            }
        )
        await send({"type": "http.response.body", "body": body})

    def finalize_response(self, request: ScimRequest, response: ScimResponse) -> ScimResponse:
        """scim2-server's headers, with the URLs in them percent-encoded: they carry the request's
        decoded path and Host, which may hold a newline or a space (wire.py)."""
        response.headers.setdefault("Location", header_uri(request.base_url, request.path))
        for name in ("Location", "Content-Location"):
            if name in response.headers:
                response.headers[name] = header_uri(response.headers[name])
        return super().finalize_response(request, response)

    async def _core(self, request: ScimRequest, wire: WireRequest) -> ScimResponse:
        """The core's answer, with the extensions it does not define taken out and put back."""
        body, change = self.schemas.extract(wire.method, wire.endpoint, wire.json)
        if change is not None:
            wire.set_json(body)
        scope = extensions.Scope(change)
        token = extensions.SCOPE.set(scope)
        try:
            resource = _resource_of(wire)
            if wire.method == "GET" and wire.endpoint in ("Schemas", "ResourceTypes"):
                await self.inbox.survey()
            only_extensions = change is not None and wire.method == "PATCH" and not body["Operations"]
            if only_extensions and change is not None and resource is not None:
                response = await self._extensions_only(request, wire, resource, change)
            else:
                response = await self._dispatch(
                    ScimRequest(
                        method=wire.method,
                        base_url=request.base_url,
                        path=wire.path,
                        query=wire.query,
                        headers=_with_content_type(request, wire.content_type),
                        body=wire.encoded(),
                    )
                )
                if (
                    change is not None
                    and not scope.applied
                    and resource is not None
                    and int(response.status) < 300
                ):
                    # The core stored nothing (the request changed only what it does not define).
                    scope.seen[resource[1]] = await self.inbox.keep(*resource, change)
            extensions.decorate(response.body, self._shown(scope.seen), wire.query)
        finally:
            extensions.SCOPE.reset(token)
        return response

    def _shown(self, seen: dict[str, extensions.Kept]) -> dict[str, extensions.Kept]:
        """The kept extensions an answer carries: on 2.0 what the inbox announces, on 1.1 all."""
        if self.version == "v1":
            return seen
        return {rid: self.inbox.storage.discovered.shown(kept) for rid, kept in seen.items()}

    async def _extensions_only(
        self, request: ScimRequest, wire: WireRequest, resource: tuple[str, str], change: extensions.Change
    ) -> ScimResponse:
        """A PATCH whose every operation is on kept extensions: stored here, answered as the core
        answers a PATCH (200 + user, 204 for a group); an If-Match must name the stored version."""
        await self.inbox.keep(*resource, change, expected_version=request.header("If-Match"))
        response = await self.handler.handle(
            ScimRequest(
                method="GET",
                base_url=request.base_url,
                path=wire.path,
                query=wire.query,
                # the answer reads the new state: the If-Match was for the write
                headers=[h for h in _with_content_type(request, None) if not h[0].lower().startswith("if-")],
                body=b"",
            )
        )
        asked = "attributes" in wire.query or "excludedAttributes" in wire.query
        if resource[0] == "Group" and not asked and int(response.status) == HTTPStatus.OK:
            etag = response.headers.get("ETag")
            return ScimResponse(HTTPStatus.NO_CONTENT, None, {"ETag": etag} if etag else {})
        return response

    async def _dispatch(self, core: ScimRequest) -> ScimResponse:
        # Two writes to one group at once (Okta pushes memberships in parallel) race on the version
        # check; without an If-Match from the client that is our conflict, not theirs: retry it.
        for _ in range(4):
            try:
                return await self.handler.handle(core)
            except PreconditionFailedException:
                if core.header("If-Match"):
                    raise
        return await self.handler.handle(core)

    def check_auth(self, request: ScimRequest) -> None:
        """401 unless `Authorization: Bearer <token>` is this connection's token."""
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedException(detail="missing bearer token: send Authorization: Bearer <token>")
        if not tokens.matches(token.strip(), self._current_hash()):
            raise UnauthorizedException(
                detail=f"the bearer token is not valid for connection {self.connection!r}"
            )

    def _current_hash(self) -> str | None:
        # A short cache: issuing, rotating or revoking takes effect within two seconds.
        now = time.monotonic()
        if now - self._token_read_at > _TOKEN_CACHE_SECONDS:
            self._token_hash = tokens.stored_hash(self.engine, self.connection)
            self._token_read_at = now
        return self._token_hash

    # --- write hook -------------------------------------------------------------------------------

    def _written(self, wire: WireRequest, response: ScimResponse) -> None:
        operation = _WRITES.get(wire.method)
        if operation is None or self.on_write is None or int(response.status) >= 300:
            return
        parts = wire.path.strip("/").split("/")
        kind = {"Users": "User", "Groups": "Group"}.get(parts[0])
        if kind is None or (len(parts) > 1 and parts[1].startswith(".")):
            return
        resource_id = parts[1] if len(parts) > 1 else (response.body or {}).get("id")
        if isinstance(resource_id, str):
            self.on_write(kind, resource_id, operation)


def _resource_of(wire: WireRequest) -> tuple[str, str] | None:
    """("User" or "Group", id) when the request addresses one resource."""
    parts = wire.path.strip("/").split("/")
    kind = {"Users": "User", "Groups": "Group"}.get(parts[0])
    if kind is None or len(parts) != 2 or parts[1].startswith("."):
        return None
    return kind, parts[1]


def _with_content_type(request: ScimRequest, content_type: str | None) -> list[tuple[str, str]]:
    pairs = request.headers.items() if isinstance(request.headers, dict) else list(request.headers)
    headers = [(k, v) for k, v in pairs if k.lower() != "content-type"]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return headers
