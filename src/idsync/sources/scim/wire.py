"""The HTTP edge of a SCIM mount: what reaches the endpoint however odd the bytes on the wire are.

Anything can arrive from the network, and a SCIM client must get a SCIM answer to all of it (found by
fuzzing the served inbox, tests/server/test_scim_fuzz.py):

- header values and the query string are bytes. scim2-server's ASGI reader decoded them as UTF-8,
  which raised on the first byte that is not (an `Accept-Charset: \\xff`, a stray byte in a token)
  before any error handling, and uvicorn answered a plain-text 500. They are still read as UTF-8 when
  they are UTF-8, and otherwise as Latin-1, which never fails (RFC 9110 §5.5 allows ISO-8859-1 in
  header values; Starlette reads them so);
- a path may hold any character once percent-decoded, a newline included (`/Users/a%0Ab`); Starlette's
  `Mount` matches the rest of the path with a `.*` that stops at a newline, so such a request missed the
  mount and got Starlette's plain-text 404. `ScimMount` matches every character, and the endpoint
  answers (a SCIM 404 for an id nobody has);
- that path and the Host header go back out in the `Location` and `Content-Location` headers, where a
  newline made uvicorn drop the connection without an answer: `header_uri` percent-encodes them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote

from scim2_server.requests import ScimRequest
from starlette.routing import Mount
from starlette.types import ASGIApp


class ScimMount(Mount):
    """A Mount whose path parameter matches every character, newlines included."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def request_head(scope: dict[str, Any], base_url: str, path: str) -> ScimRequest:
    """The method, URL parts and headers of an ASGI request, decoded without ever failing (`text`;
    the query's percent-escapes as UTF-8, bad ones replaced)."""
    return ScimRequest(
        method=scope["method"],
        base_url=base_url,
        path=path,
        query=dict(parse_qsl(text(scope["query_string"]), keep_blank_values=True)),
        headers=[(text(name), text(value)) for name, value in scope["headers"]],
    )


def text(raw: bytes) -> str:
    """Bytes from the wire as text: UTF-8 when they are, Latin-1 otherwise (which never fails)."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_URI_CHARACTERS = ":/?#[]@!$&'()*+,;=-._~"
"""RFC 3986's reserved and unreserved characters: everything else in a header URL is percent-encoded."""


def header_uri(base: str, path: str | None = None) -> str:
    """A URL fit for a response header: `base` (an URL, its percent-escapes kept) and `path` (a
    decoded path, its `%` escaped too) with every other character percent-encoded as UTF-8."""
    url = quote(base, safe=_URI_CHARACTERS + "%")
    if path is None:
        return url
    tail = path.strip("/")
    return f"{url.rstrip('/')}/{quote(tail, safe=_URI_CHARACTERS)}" if tail else url
