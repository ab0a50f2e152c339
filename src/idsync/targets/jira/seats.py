"""Jira's licence seats: one `SeatPool` per application role (`GET /rest/api/2/applicationrole`).

A role is held by the active members of any of its `groups` (one seat however many of them a user is
in). A user idsync creates takes a seat of each role selected by default: it is created either with
`applicationKeys` naming such roles (writes.py; documented: "a user created and assigned to an
application is added to its default group"), or without, when Jira is assumed to give them anyway.
`remainingSeats` is the seats left; for an unlimited role Jira's value is not documented (-1 is what
the emulator sends), so `hasUnlimitedSeats` is trusted first.

Reading the roles needs the Administer Jira permission. A 403 or 404 (an account without it, a server
without the resource) leaves the seats unread — the plan says so in a note — rather than failing the
whole read: the users and groups are still complete, only the count is missing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from idsync.domain.records import SeatPool
from idsync.http import HttpClient
from idsync.targets.jira.client import API, describe_jira


class ApplicationRole(BaseModel):
    """The fields of an ApplicationRole that decide its seats."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    key: str
    name: str = ""
    groups: list[str] = Field(default_factory=list)
    default_groups: list[str] = Field(default_factory=list, alias="defaultGroups")
    selected_by_default: bool = Field(False, alias="selectedByDefault")
    defined: bool = True
    """Whether the application is installed (Jira sends it; absent, assumed so)."""
    remaining_seats: int | None = Field(None, alias="remainingSeats")
    unlimited: bool = Field(False, alias="hasUnlimitedSeats")

    def pool(self) -> SeatPool:
        """The role as the diff counts it."""
        left = None if self.unlimited or self.remaining_seats is None or self.remaining_seats < 0 \
            else self.remaining_seats
        return SeatPool(
            key=self.key,
            name=self.name or self.key,
            left=left,
            groups=frozenset(g.casefold() for g in self.groups),
            on_create=self.selected_by_default and bool(self.default_groups),
            joined_on_create=frozenset(g.casefold() for g in self.default_groups)
            if self.selected_by_default and self.defined else frozenset(),
        )


ROLE_LIST: TypeAdapter[list[ApplicationRole]] = TypeAdapter(list[ApplicationRole])


async def read_pools(http: HttpClient) -> tuple[tuple[SeatPool, ...], str | None]:
    """Every application role as a seat pool, or why the roles could not be read."""
    path = f"{API}/applicationrole"
    response = await http.request("GET", path, ok=(200, 403, 404))
    if response.status_code != 200:
        return (), f"GET {path} answered {response.status_code}: {describe_jira(response)}"
    roles = ROLE_LIST.validate_json(response.content)
    return tuple(role.pool() for role in sorted(roles, key=lambda r: r.key)), None


def seats_of(groups: frozenset[str] | None, pools: tuple[SeatPool, ...]) -> frozenset[str] | None:
    """The roles a user's groups give (None when the groups were not read completely)."""
    if groups is None:
        return None
    folded = {g.casefold() for g in groups}
    return frozenset(pool.key for pool in pools if pool.groups & folded)
