"""Tokens: the REST API's bearer tokens and the SCIM inboxes' bearer tokens.

Both kinds are random, shown once when issued (`IssuedToken`), and stored only as a SHA-256 hash.
These functions block on the database: async callers run them in a worker thread. `ApiTokenCheck`
is what the REST API authenticates with: it keeps the active hashes for a couple of seconds, so a
request costs no database read, and a revoked token stops working within that time.
"""

from __future__ import annotations

import threading
import time

from idsync.config.connections import ScimInboundConnection
from idsync.service.context import Context
from idsync.service.errors import Conflict, NotFound, UnknownName
from idsync.service.results import IssuedToken
from idsync.sources.scim import tokens as scim_tokens
from idsync.store import Store, api_tokens
from idsync.store.api_tokens import ApiToken, TokenNameTaken

CACHE_SECONDS = 2.0
"""How long the API's view of the active tokens is reused (revocation takes effect within it)."""


def _check_name(name: str) -> str:
    if not name or len(name) > 100 or not name.isprintable() or name.strip() != name:
        raise UnknownName(
            "name", name, (),
            message="name: a token name is 1 to 100 printable characters without surrounding spaces, "
            "e.g. sso-plugin or portal",
        )  # fmt: skip
    return name


def create_api_token(store: Store, name: str) -> IssuedToken:
    """A new REST API token named `name` (names are never reused; Conflict when taken)."""
    try:
        token = api_tokens.create(store.engine, _check_name(name))
    except TokenNameTaken as exc:
        raise Conflict("name", str(exc)) from None
    return IssuedToken(name, token, "api")


def list_api_tokens(store: Store) -> tuple[ApiToken, ...]:
    """Every API token, active and revoked (never the tokens themselves)."""
    return tuple(api_tokens.list_tokens(store.engine))


def revoke_api_token(store: Store, name: str) -> None:
    """Revoke the API token `name`; NotFound lists the active tokens when there is no such one."""
    if not api_tokens.revoke(store.engine, name):
        active = [t.name for t in api_tokens.list_tokens(store.engine) if t.active]
        raise NotFound(
            "name", f"name: no active API token named {name!r}; active: {', '.join(active) or '(none)'}"
        )


class ApiTokenCheck:
    """Verifies presented API tokens against the store (thread-safe; call `verify` in a thread)."""

    def __init__(self, store: Store, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._hashes: dict[str, str] = {}
        self._loaded_at = float("-inf")

    def verify(self, presented: str) -> str | None:
        """The name of the active token `presented` is, or None (constant-time over the hashes)."""
        with self._lock:
            if time.monotonic() - self._loaded_at > self.cache_seconds:
                self._hashes = api_tokens.active_hashes(self.store.engine)
                self._loaded_at = time.monotonic()
            hashes = self._hashes
        name = api_tokens.match(presented, hashes)
        if name is not None:
            api_tokens.touch(self.store.engine, name)
        return name


def _scim_connection(ctx: Context, connection: str) -> str:
    inbound = sorted(n for n, c in ctx.config.connections.items() if isinstance(c, ScimInboundConnection))
    if connection not in inbound:
        raise UnknownName(
            "connection", connection, inbound,
            message=f"{connection!r} is not a scim_inbound connection; scim_inbound connections: "
            f"{', '.join(inbound) or '(none)'}",
        )  # fmt: skip
    return connection


def issue_scim_token(ctx: Context, connection: str, *, rotate: bool = False) -> IssuedToken:
    """A new bearer token for SCIM inbox `connection`. Without `rotate`, Conflict when it has one
    already (a token in use is never replaced by accident); with it, the old token stops working."""
    name = _scim_connection(ctx, connection)
    try:
        token = scim_tokens.issue(ctx.store.engine, name, rotate=rotate)
    except ValueError:
        raise Conflict(
            "connection",
            f"connection {name!r} already has a SCIM token; rotate it to replace it (the old token stops "
            f"working): `idsync scim token {name} --rotate` or POST /api/v1/scim-tokens/{name}/rotate; "
            f"or remove it with --revoke",
        ) from None
    return IssuedToken(name, token, "scim")


def revoke_scim_token(ctx: Context, connection: str) -> bool:
    """Remove the SCIM inbox's token (its pushes get 401); False when it had none."""
    return scim_tokens.revoke(ctx.store.engine, _scim_connection(ctx, connection))


def scim_token_states(ctx: Context) -> dict[str, bool]:
    """Whether each scim_inbound connection has a token, by connection name (never the token)."""
    inbound = sorted(n for n, c in ctx.config.connections.items() if isinstance(c, ScimInboundConnection))
    return {name: scim_tokens.stored_hash(ctx.store.engine, name) is not None for name in inbound}
