"""Confluence's licence seats: `GET /rest/license/1.0/license/remainingSeats` and `/maxUsers`, each
`{"count": n}`.

Every enabled user with access to Confluence holds a seat, so a user idsync creates takes one (past
the last seat creation answers 402) and so does one it enables again — which Confluence does not
refuse, it goes read-only once over its limit. Confluence reports an unlimited licence as
Integer.MAX_VALUE users (UserCountService). Which permission the licence resource wants is not
documented (idsync connects as an administrator); a 401, 403 or 404 leaves the seats unread, and the
plan says so in a note, rather than failing the read of users and groups.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from idsync.domain.records import SeatPool
from idsync.http import HttpClient
from idsync.targets.confluence.client import describe_confluence

LICENCE = "/rest/license/1.0/license"
UNLIMITED = 2**31 - 1
"""What `maxUsers` reports for an unlimited licence (Java's Integer.MAX_VALUE)."""
POOL_KEY = "confluence"


class _Count(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    count: int


async def _count(http: HttpClient, name: str) -> tuple[int | None, str | None]:
    path = f"{LICENCE}/{name}"
    response = await http.request("GET", path, ok=(200, 401, 403, 404))
    if response.status_code != 200:
        return None, f"GET {path} answered {response.status_code}: {describe_confluence(response)}"
    return _Count.model_validate_json(response.content).count, None


async def read_pool(http: HttpClient) -> tuple[tuple[SeatPool, ...], str | None]:
    """The Confluence licence as one seat pool (no groups: every enabled user holds a seat), or why it
    could not be read."""
    most, problem = await _count(http, "maxUsers")
    if most is None:
        return (), problem
    left: int | None = None
    if most < UNLIMITED:
        left, problem = await _count(http, "remainingSeats")
        if left is None:
            return (), problem
    pool = SeatPool(POOL_KEY, "Confluence", left=None if left is None else max(0, left), on_create=True)
    return (pool,), None
