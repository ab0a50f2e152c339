"""CSRF protection of every form: one random token per session, checked on every unsafe request.

A form carries the token as the hidden field `csrf_token` (`{{ csrf_field() }}` in a template); htmx
sends it as the `X-CSRF-Token` header (base.html sets `hx-headers` on the body). A POST, PUT, PATCH or
DELETE whose token is missing or wrong is refused with 403 before any route sees it. The session
cookie is also SameSite=Lax, so another site's form does not even carry it; the token covers the rest
(older browsers, same-site subdomains).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1_048_576
"""The largest form body read to find the token (the UI's forms are a few hundred bytes)."""


def new_token() -> str:
    """A fresh token."""
    return secrets.token_urlsafe(32)


def session_token(session: dict[str, Any]) -> str:
    """The session's token, made on first use (the login page needs one before anyone logs in)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = session[SESSION_KEY] = new_token()
    return token


def csrf_token(request: Request) -> str:
    """The token to put in a form of `request`'s page."""
    return session_token(request.session)


class CsrfMiddleware:
    """Refuses unsafe requests without the session's token; replays the body it read to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        expected = session.get(SESSION_KEY)
        headers = dict(scope["headers"])
        presented = headers.get(HEADER.encode(), b"").decode("latin-1")
        replay = receive
        if not presented:
            body = await _read_body(receive)
            if body is None:
                await _refuse(scope, receive, send, "the form is too large")
                return
            replay = _replaying(body)
            form = await _form(scope, body)
            value = form.get(FIELD) if form is not None else None
            presented = value if isinstance(value, str) else ""
        if not isinstance(expected, str) or not presented or not hmac.compare_digest(presented, expected):
            await _refuse(scope, receive, send, "the form's security token is missing or out of date")
            return
        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form(scope: Scope, body: bytes) -> FormData | None:
    request = Request(scope, _replaying(body))
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    return await request.form()


async def _refuse(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Refused · idsync</title></head>"
        f"<body><main><h1>Request refused</h1><p>The request was refused because {why}. Reload the page "
        "and try again.</p></main></body></html>"
    )
    await HTMLResponse(body, status_code=403)(scope, receive, send)
