"""What the Atlassian targets (Jira, Confluence, Bitbucket, Crowd) share on the wire and in their writers:
the Authorization header, the `HttpClient` of a connection, the fallback of an error description and
the checks of a plan item's username and group.

Credentials travel only in the Authorization header, never in a message.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

from pydantic import SecretStr

from idsync.config.connections import HttpConnection
from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Change, PlanItem
from idsync.http import HttpClient, RetryPolicy, WireResponse, describe_plain

UNAUTHORIZED = "authentication failed (check the token, or username and password)"
"""What a 401 without a product error body says, for a token or username + password connection."""


class TokenOrBasic(Protocol):
    """A connection that authenticates with a token (Bearer) or with username + password (Basic)."""

    @property
    def token(self) -> SecretStr | None: ...

    @property
    def username(self) -> str | None: ...

    @property
    def password(self) -> SecretStr | None: ...


def basic_authorization(username: str, password: str) -> str:
    """The value of a Basic Authorization header."""
    pair = f"{username}:{password}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


def token_or_basic_headers(conn: TokenOrBasic) -> dict[str, str]:
    """JSON, and Bearer for a personal / HTTP access token, Basic for username + password."""
    headers = {"Accept": "application/json"}
    if conn.token is not None:
        headers["Authorization"] = f"Bearer {conn.token.get_secret_value()}"
    else:
        # the connection model's validator guarantees both are set when there is no token
        assert conn.username is not None
        assert conn.password is not None
        headers["Authorization"] = basic_authorization(conn.username, conn.password.get_secret_value())
    return headers


def make_client(
    conn: HttpConnection,
    headers: dict[str, str],
    describe: Callable[[WireResponse], str],
) -> HttpClient:
    """An HttpClient for one connection: its URL, concurrency, timeout and retries, with `headers` and
    the product's error description."""
    return HttpClient(
        conn.url,
        headers=headers,
        describe=describe,
        max_concurrency=conn.concurrency,
        timeout=conn.timeout,
        retry=RetryPolicy(attempts=conn.retries + 1),
    )


def describe_or_fallback(response: WireResponse, text: str | None, unauthorized: str = UNAUTHORIZED) -> str:
    """`text` (what the product's error body said, cut to 500 characters) when there is one; else what
    a 401 means (`unauthorized`), else the plain description of the response."""
    if text:
        return text[:500]
    if response.status_code == 401:
        return unauthorized
    return describe_plain(response)


# --- plan items -------------------------------------------------------------------------------------


def item_username(item: PlanItem) -> str:
    """The item's username, or a BadRequestError when it has none."""
    if not item.user:
        raise BadRequestError(f"{item.action} item has no user (username)")
    return item.user


def item_group(item: PlanItem) -> str:
    """The item's group, or a BadRequestError when it has none."""
    if not item.group:
        raise BadRequestError(f"{item.action} item has no group")
    return item.group


def mapped_fields(
    changes: tuple[Change, ...],
    fields: Mapping[str, str],
    unknown: str,
    exclude: AbstractSet[str] = frozenset(),
) -> dict[str, Any]:
    """The new values of `changes` under the product's names (`fields`: Change.field → wire field),
    leaving out the wire fields in `exclude`. A field the product lacks is a BadRequestError whose
    message is `unknown` formatted with `field` (the Change.field) and `valid` (the fields it has)."""
    body: dict[str, Any] = {}
    for change in changes:
        name = fields.get(change.field)
        if name is None:
            raise BadRequestError(unknown.format(field=change.field, valid=", ".join(sorted(fields))))
        if name not in exclude:
            body[name] = change.new
    return body
