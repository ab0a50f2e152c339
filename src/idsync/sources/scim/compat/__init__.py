"""What real SCIM clients send, rewritten into the RFC forms scim2-server understands — one module per
client (okta, entra, minorange, scim11). The passes are unambiguous and lenient, and every request goes
through all of them: the User-Agent is never trusted to tell clients apart (Okta's docs and its own test name
different agents, and other clients send none).

A pass works on `WireRequest` (method, path, query, content type and the decoded JSON body) before the
protocol core sees it, and on the core's `ScimResponse` afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from scim2_server.responses import ScimResponse


@dataclass
class WireRequest:
    """A request as it came off the wire, with its JSON body decoded when it is valid JSON."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    body: bytes
    json: Any = None
    """The decoded body; None when there is no body or it is not JSON (the core then answers 400)."""
    changed: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, method: str, path: str, query: dict[str, str], content_type: str | None, body: bytes
    ) -> WireRequest:
        """Decode the body once for every pass."""
        decoded: Any = None
        if body:
            try:
                decoded = orjson.loads(body)
            except orjson.JSONDecodeError:
                decoded = None
        return cls(method.upper(), path, dict(query), content_type, body, decoded)

    def set_json(self, value: Any) -> None:
        """Replace the body (a pass rewrote it)."""
        self.json = value
        self.changed = True

    def encoded(self) -> bytes:
        """The body to hand to the core: the rewritten one, or the body as sent when nothing changed
        or the rewrite cannot be written back. orjson reads 1024 levels of nesting but writes only 255,
        and the core parses at most 200, so such a body is one the core refuses (400 invalidSyntax)
        whatever a pass made of it; encoding it raised and answered 500."""
        if not self.changed:
            return self.body
        try:
            return orjson.dumps(self.json)
        except orjson.JSONEncodeError:
            return self.body

    @property
    def endpoint(self) -> str:
        """The first path segment: "Users", "Groups", "ServiceProviderConfig", ..."""
        return self.path.strip("/").split("/", 1)[0]


RequestPass = Callable[[WireRequest], None]
ResponsePass = Callable[[WireRequest, ScimResponse], ScimResponse]


def v2_request_passes() -> tuple[RequestPass, ...]:
    """The request passes of a SCIM 2.0 mount, in order."""
    from idsync.sources.scim.compat import entra, minorange, okta

    return (okta.normalise, entra.normalise, minorange.normalise)
