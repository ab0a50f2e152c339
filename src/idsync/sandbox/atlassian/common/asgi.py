"""Pure-ASGI plumbing of the auth middlewares: header lookup, the `/latest/` path alias, Basic and
Bearer credentials, raw responses and per-response extra headers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol, TypeVar

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


def header(scope: Scope, wanted: bytes) -> bytes | None:
    """The first value of request header `wanted` (a lower-case name), or None."""
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def alias_latest(scope: Scope, latest: str, versioned: str) -> str:
    """The request path with the `latest` prefix rewritten to `versioned` (in the scope as well)."""
    path: str = scope["path"]
    if path.startswith(latest):
        path = versioned + path[len(latest) :]
        scope["path"] = path
        scope["raw_path"] = path.encode()
    return path


async def send_response(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """A whole response, `content-length` appended to `headers`."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def forward(app: ASGIApp, scope: Scope, receive: Receive, send: Send, extra: Headers) -> None:
    """Call `app`, adding `extra` to the headers of its response (none: `send` is passed unchanged)."""
    if not extra:
        await app(scope, receive, send)
        return

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    await app(scope, receive, send_with_headers)


def basic_pair(credentials: bytes | str) -> tuple[str, str] | None:
    """(name, password) of Basic credentials (the part after `Basic `); None when they are not valid
    base64 of UTF-8 text or have no `:`."""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


class LoginUser(Protocol):
    """A user that can log in: enabled, with a password or without one (token only)."""

    @property
    def active(self) -> bool: ...

    @property
    def password(self) -> str | None: ...


U = TypeVar("U", bound=LoginUser)


def authenticate(
    authorization: bytes,
    user_by_name: Callable[[str], U | None],
    token_owner: Callable[[str], str | None],
) -> U | None:
    """The active user an Authorization header proves: `Bearer <token>` acts as `token_owner(token)`,
    `Basic` needs the user's own password. None for anything else (a bad token, a wrong password, a
    disabled user, another scheme)."""
    scheme, _, credentials = authorization.partition(b" ")
    scheme_name = scheme.lower()
    if scheme_name == b"bearer":
        owner = token_owner(credentials.strip().decode("latin-1"))
        user = user_by_name(owner) if owner else None
        return user if user is not None and user.active else None
    if scheme_name == b"basic":
        pair = basic_pair(credentials)
        found = user_by_name(pair[0]) if pair is not None else None
        if pair is None or found is None or not found.active or found.password is None:
            return None
        return found if found.password == pair[1] else None
    return None
