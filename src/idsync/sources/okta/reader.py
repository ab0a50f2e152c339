"""The reads every Okta read is made of: one listing followed page by page, one object by id, one
group's members — each failure turned, in one place, into the error a sync reports.

Errors: 401/403 become a `StopSyncError` that says what to check (`auth_failure`); every other
failure becomes a `SourceReadError` naming the listing and page, or the object, that failed — a read
that fails part way is never taken for a smaller org.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from idsync.config.connections import OktaConnection
from idsync.domain.errors import ConnectorError, SourceReadError, StopSyncError
from idsync.domain.progress import Progress, ProgressTask
from idsync.sources.okta.client import OktaClient, ResponseShapeError, auth_failure
from idsync.sources.okta.models import OktaGroup, OktaUser, WireError, member_page

USERS = "/api/v1/users"
GROUPS = "/api/v1/groups"

GroupRead = tuple[OktaGroup, frozenset[str]]
"""A group as read, with the ids of its members."""


class OktaReader:
    """The page, object and member reads of one Okta connection, with their failures mapped."""

    def __init__(self, conn: OktaConnection, client: OktaClient) -> None:
        self.conn = conn
        self.client = client

    async def listing(
        self,
        what: str,
        path: str,
        params: dict[str, Any],
        take: Callable[[list[Any]], None],
        *,
        label: str | None = None,
        decode: Callable[[bytes], list[Any]] | None = None,
    ) -> None:
        """Read every page of one listing into `take` (each decoded by `decode` when given, see
        `OktaClient.pages`); a failure names the listing and the page."""
        page_number = 1
        with self.failing(lambda: f"{what}, page {page_number}"):
            async for page in self.client.pages(path, params, label=label or path, decode=decode):
                take(page)
                page_number += 1

    @contextmanager
    def failing(self, what: str | Callable[[], str]) -> Iterator[None]:
        """Turn any failure inside into StopSyncError (credentials) or SourceReadError (the rest)."""
        try:
            yield
        except StopSyncError as exc:
            raise auth_failure(exc, self.conn.url) from exc
        except (ConnectorError, ResponseShapeError, WireError) as exc:
            where = what() if callable(what) else what
            raise SourceReadError(
                f"Okta read from {self.conn.url} is incomplete, so nothing will be changed: "
                f"{where} failed: {exc}"
            ) from exc

    async def group(self, group_id: str) -> OktaGroup:
        """One group by id."""
        with self.failing(f"group {group_id}"):
            path = f"{GROUPS}/{quote(group_id, safe='')}"
            raw = await self.client.get_json(path, label=f"{GROUPS}/{{id}}")
            return OktaGroup.parse(raw)

    async def user(self, user_id: str, what: str) -> OktaUser:
        """One user by id; `what` names them in a failure."""
        with self.failing(what):
            raw = await self.client.get_json(f"{USERS}/{quote(user_id, safe='')}", label=f"{USERS}/{{id}}")
            return OktaUser.parse(raw)

    async def member_ids(self, group: OktaGroup) -> set[str]:
        """The ids of a group's members, every page of `/groups/{id}/users`."""
        ids: set[str] = set()
        await self._members(group, ids.update, member_page)
        return ids

    async def members_as_users(self, group: OktaGroup) -> list[OktaUser]:
        """A group's members as whole users (an app-scoped read takes its people from them)."""
        members: list[OktaUser] = []

        def take(page: list[Any]) -> None:
            members.extend(OktaUser.parse(obj) for obj in page)

        await self._members(group, take)
        return members

    async def _members(
        self, group: OktaGroup, take: Callable[[list[Any]], None],
        decode: Callable[[bytes], list[Any]] | None = None,
    ) -> None:
        await self.listing(
            f"members of group {group.name!r} ({group.id})",
            f"{GROUPS}/{quote(group.id, safe='')}/users",
            {"limit": self.conn.members_page_size},
            take,
            label=f"{GROUPS}/{{id}}/users",
            decode=decode,
        )


class Bars:
    """The three progress bars of a read."""

    def __init__(self, progress: Progress) -> None:
        self.users: ProgressTask = progress.task("Okta users")
        self.groups: ProgressTask = progress.task("Okta groups")
        self.members: ProgressTask = progress.task("Okta memberships (groups read)")


def keep_newest(users: dict[str, OktaUser], user: OktaUser) -> None:
    """Add `user`, or keep the copy already held if it is newer: a user deactivated during the read
    shows up in both user listings (ISO-8601 timestamps of one format compare as strings)."""
    current = users.get(user.id)
    if current is None or (user.last_updated or "") >= (current.last_updated or ""):
        users[user.id] = user
