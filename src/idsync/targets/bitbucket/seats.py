"""Bitbucket's licence seats: `GET /rest/api/1.0/admin/license` (`RestBitbucketLicense`).

A seat is held by every user with LICENSED_USER or a higher global permission, through a group or
directly; the licence-granting groups are the groups holding such a permission. idsync creates users
without the default group (quirks.ADD_TO_DEFAULT_GROUP), so a creation takes no seat by itself: the
item putting the user into a licence-granting group does (past the last seat Bitbucket answers 403).
Seats left = `maximumNumberOfUsers` − `status.currentNumberOfUsers`. An unlimited licence may leave
`maximumNumberOfUsers` out, so `unlimitedNumberOfUsers` is trusted first. No licence installed (404)
leaves the seats unread, and the plan says so in a note.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from idsync.domain.records import SeatPool
from idsync.http import HttpClient
from idsync.targets.bitbucket.client import API, describe_bitbucket

POOL_KEY = "bitbucket"


class _Status(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    current: int | None = Field(None, alias="currentNumberOfUsers")


class LicenceSeats(BaseModel):
    """The parts of GET /admin/license that give the seats left."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    maximum: int | None = Field(None, alias="maximumNumberOfUsers")
    unlimited: bool = Field(False, alias="unlimitedNumberOfUsers")
    status: _Status = Field(default_factory=_Status)


async def read_pool(
    http: HttpClient, licence_groups: frozenset[str]
) -> tuple[tuple[SeatPool, ...], str | None]:
    """The licence as one seat pool over `licence_groups` (lower-case), or why it could not be read."""
    path = f"{API}/admin/license"
    response = await http.request("GET", path, ok=(200, 404))
    if response.status_code == 404:
        return (), f"GET {path} answered 404: {describe_bitbucket(response)}"
    licence = LicenceSeats.model_validate_json(response.content)
    left: int | None = None
    if not licence.unlimited and licence.maximum is not None:
        if licence.status.current is None:
            return (), f"GET {path} gives no status.currentNumberOfUsers"
        left = max(0, licence.maximum - licence.status.current)
    return (SeatPool(POOL_KEY, "Bitbucket", left=left, groups=licence_groups),), None
