"""The two SCIM servers the scenario suite runs against, each on a loopback port under uvicorn:

- `reference`: scim2-server's reference implementation (ASGI app, in-memory storage) with RFC 7643's
  schemas plus a named extension of our own (`ACME`, attributes `costCenter` and `badge`), a bearer
  token, and a request counter in front of it (server side);
- `inbox`: idsync's own inbound SCIM service (`idsync serve`'s app, SQLite store), mount `inbox`.

Both are real HTTP servers; the target under test talks to them through idsync's HttpClient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from scim2_models import Attribute, ResourceType, Schema, SchemaExtension, ScimProvider, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

from idsync.sandbox.common.server import serve_in_thread
from tests.server.inbox import running_inbox

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
TOKEN = "reference-server-token-0123456789"


@dataclass
class RunningScim:
    """One SCIM server under test: its base URL, bearer token, the extensions it declares, and (for the
    reference server) the requests it served by "METHOD /Resource"."""

    kind: str
    url: str
    token: str
    extensions: tuple[str, ...]
    served: Counter[str] = field(default_factory=Counter)

    def client(self) -> httpx.Client:
        """A plain httpx client on the base URL, to look at what the target wrote."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def writes(self) -> Counter[str]:
        """Write requests served (reference server only; the inbox is counted client side)."""
        return Counter({k: v for k, v in self.served.items() if not k.startswith("GET")})


def _acme_schema() -> Schema:
    return Schema(
        id=ACME,
        name="AcmeUser",
        description="A named extension of our own",
        attributes=[
            Attribute(name="costCenter", type=Attribute.Type.string, multi_valued=False),
            Attribute(name="badge", type=Attribute.Type.string, multi_valued=False),
        ],
    )


class _Reference(ASGIApplication):
    """scim2-server's ASGI app with a static bearer token."""

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token != TOKEN:
            raise UnauthorizedException


def _counting(app: Any, served: Counter[str]) -> Any:
    """ASGI middleware counting requests by method and first path segment after /v2."""

    async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            parts = scope["path"].removeprefix("/v2").strip("/").split("/")
            route = "/" + parts[0] + ("/{id}" if len(parts) > 1 else "")
            served[f"{scope['method']} {route}"] += 1
        await app(scope, receive, send)

    return middleware


@contextmanager
def reference_server(*, patch: bool = True) -> Iterator[RunningScim]:
    """scim2-server with the enterprise and ACME extensions (`patch=False`: it announces no PATCH)."""
    schemas = [*load_default_schemas().values(), _acme_schema()]
    types = []
    for resource_type in load_default_resource_types().values():
        if resource_type.id == "User":
            acme = SchemaExtension(schema_=ACME, required=False)
            extensions = [*(resource_type.schema_extensions or []), acme]
            resource_type = ResourceType.model_validate(
                {**resource_type.model_dump(), "schemaExtensions": [e.model_dump() for e in extensions]}
            )
        types.append(resource_type)
    config = load_default_service_provider_config()
    if not patch:
        config = config.model_copy(update={"patch": config.patch.model_copy(update={"supported": False})})
    provider = ScimProvider.from_discovery(schemas, types, config=config)
    served: Counter[str] = Counter()
    server = serve_in_thread(_counting(_Reference(AsyncInMemoryStorage(), provider), served))
    try:
        kind = "reference" if patch else "reference-put"
        yield RunningScim(kind, f"{server.url}/v2", TOKEN, (ENTERPRISE, ACME), served)
    finally:
        server.stop()


@contextmanager
def inbox_server(tmp_path: Path) -> Iterator[RunningScim]:
    """idsync's own SCIM service, mount `inbox` (it declares the enterprise extension)."""
    with running_inbox(tmp_path) as inbox:
        yield RunningScim("inbox", f"{inbox.url}/scim/v2/inbox", inbox.tokens["inbox"], (ENTERPRISE,))


@contextmanager
def scim_server(kind: str, tmp_path: Path) -> Iterator[RunningScim]:
    """The server named by `kind`: "reference", "reference-put" (announcing no PATCH, so every change
    is a GET + PUT of the whole resource) or "inbox"."""
    if kind.startswith("reference"):
        with reference_server(patch=kind == "reference") as running:
            yield running
    else:
        with inbox_server(tmp_path) as running:
            yield running
