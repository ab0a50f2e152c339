"""The Okta side of HTTP: SSWS auth, Okta error bodies as one-line messages, and Link-header paging.

Retries, rate-limit waits (429 until `X-Rate-Limit-Reset`) and the status → error mapping live in
`idsync.http.HttpClient`; this module adds only what is Okta-specific. Paging follows `rel="next"`
until it is absent and raises on anything odd (a page that is not a JSON array, a cursor that repeats):
a listing is complete or it fails, never shorter.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from idsync.config.connections import OktaConnection
from idsync.domain.errors import StopSyncError
from idsync.http import HttpClient, RetryPolicy, WireResponse, describe_plain, next_link


class ResponseShapeError(Exception):
    """A response is not what Okta documents (not JSON, not an array, a looping cursor)."""


def describe_okta_error(response: WireResponse) -> str:
    """Okta's error body as one line: `errorSummary (errorCode; causes: …; errorId …)`."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return describe_plain(response)
    if not isinstance(body, Mapping) or "errorSummary" not in body:
        return describe_plain(response)
    details = [str(body.get("errorCode") or "no errorCode")]
    causes = body.get("errorCauses")
    if isinstance(causes, list):
        texts = [str(c["errorSummary"]) for c in causes if isinstance(c, Mapping) and c.get("errorSummary")]
        if texts:
            details.append("causes: " + "; ".join(texts))
    if body.get("errorId"):
        details.append(f"errorId {body['errorId']}")
    return f"{body['errorSummary']} ({'; '.join(details)})"


def auth_failure(error: StopSyncError, url: str) -> StopSyncError:
    """A 401/403 re-worded for people: what Okta said and what to check."""
    if error.status == 403:
        hint = (
            f"Okta refused the API token permission for this call ({error}). The token has the "
            "rights of the admin who created it: give that admin a role that may read users, groups "
            "and (with app_id) apps, or create the token as such an admin."
        )
    else:
        hint = (
            f"Okta rejected the API token for {url} ({error}). Check the connection's token: it must "
            "be a valid SSWS API token of this org (tokens expire after 30 days unused and die with "
            "the admin who created them)."
        )
    return StopSyncError(hint, status=error.status)


class OktaClient:
    """An `HttpClient` set up for one Okta org, with page iteration."""

    def __init__(self, conn: OktaConnection) -> None:
        self.url = conn.url
        self.http = HttpClient(
            conn.url,
            headers={
                "Authorization": f"SSWS {conn.token.get_secret_value()}",
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "idsync",
            },
            describe=describe_okta_error,
            max_concurrency=conn.concurrency,
            timeout=conn.timeout,
            retry=RetryPolicy(attempts=conn.retries + 1),
        )

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None, label: str) -> Any:
        """GET one object or array; errors are the mapped ConnectorErrors of `HttpClient`."""
        response = await self.http.request("GET", path, params=params, ok=(200,), label=label)
        return _json(response)

    async def first_page(self, path: str, params: Mapping[str, Any], *, label: str) -> tuple[list[Any], bool]:
        """One page of a listing and whether more follow (for cheap checks, not for reads)."""
        response = await self.http.request("GET", path, params=params, ok=(200,), label=label)
        return _array(response), next_link(response) is not None

    async def pages(
        self, path: str, params: Mapping[str, Any], *, label: str,
        decode: Callable[[bytes], list[Any]] | None = None,
    ) -> AsyncGenerator[list[Any], None]:
        """Yield each page (a JSON array) of a listing, following `Link: rel="next"` to the end.

        Only the path and query of a next link are used, on the configured base URL: the cursor is
        Okta's, the host is ours, so the token never travels to a host named in a response header.
        `decode` turns a page's body into its items when the caller needs only part of each (see
        `models.member_page`); without it, a page is the parsed JSON array.
        """
        url: str | None = path
        query: Mapping[str, Any] | None = params
        seen: set[str] = set()
        while url is not None:
            response = await self.http.request("GET", url, params=query, ok=(200,), label=label)
            yield _array(response) if decode is None else decode(response.content)
            link = next_link(response)
            if link is None:
                return
            target = urlsplit(link)
            relative = target.path + (f"?{target.query}" if target.query else "")
            if relative in seen:
                raise ResponseShapeError(
                    f"the next link repeats an earlier page ({target.path}); not looping"
                )
            seen.add(relative)
            url, query = relative, None

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self.http.aclose()


def _json(response: WireResponse) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise ResponseShapeError(f"the response body is not JSON ({exc})") from exc


def _array(response: WireResponse) -> list[Any]:
    page = _json(response)
    if not isinstance(page, list):
        raise ResponseShapeError(f"expected a JSON array, got {type(page).__name__}")
    return page
