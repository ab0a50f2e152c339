"""Reading what the diff needs from Bitbucket: users (by id, username or email) with their licences,
and the members of managed groups.

Bitbucket addresses users by username only; the immutable id is in every user bean but cannot be
looked up. So linked users (asked for by id) are found in a full listing of /admin/users, which then
also answers the username and email lookups; without ids, each username or email is one filtered
search (`filter` is a substring match: only exact, case-insensitive matches are kept).

Licences: the groups and users holding a seat-giving global permission are read once; each user read
gets its direct groups (`/admin/users/more-members`), so `licence_groups` are the licence-granting
groups it is in (lower-case, as group names compare) and `active` is whether it holds a seat at all —
through one of those groups or a direct permission, with its directory account active.

A read is complete or it raises; group names and usernames are compared lower-case.
"""

from __future__ import annotations

from idsync.domain.errors import NotFoundError
from idsync.domain.progress import Progress
from idsync.domain.records import StateQuery, TargetState, TargetUser
from idsync.http import HttpClient
from idsync.targets.bitbucket.client import (
    BitbucketUser,
    GroupName,
    GroupPermission,
    MemberName,
    UserPermission,
    read_all,
)
from idsync.targets.bitbucket.quirks import LICENSING_PERMISSIONS
from idsync.targets.bitbucket.seats import POOL_KEY, read_pool
from idsync.targets.jira.state import bounded_map

FULL_LISTING_AFTER = 50
"""More username / email lookups than this read the whole user list instead of one search each."""


class StateReader:
    """One `read_state` call against one Bitbucket connection."""

    def __init__(self, http: HttpClient, target: str, concurrency: int, page_size: int) -> None:
        self.http = http
        self.target = target
        self.concurrency = concurrency
        self.page_size = page_size

    async def read(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read everything `query` asks for (see StateQuery), concurrently within the connection's cap."""
        users = await self._users(query, progress)
        users_out: dict[str, TargetUser] = {}
        none: frozenset[str] = frozenset()
        licence_groups, direct = await self._licences() if users or query.seats else (none, none)
        if users:
            bar = progress.task(f"{self.target}: users' groups", total=len(users))
            ordered = sorted(users.values(), key=lambda u: u.id)
            memberships = await bounded_map(ordered, self._groups_of, self.concurrency, bar)
            for user, direct_groups in zip(ordered, memberships, strict=True):
                held = frozenset(direct_groups & licence_groups)
                users_out[str(user.id)] = TargetUser(
                    key=str(user.id),
                    username=user.name.lower(),
                    email=user.email,
                    display_name=user.display_name,
                    # a seat needs an active directory account as well (Bitbucket does not count others)
                    active=user.active and (bool(held) or user.name.lower() in direct),
                    licence_groups=held,
                    seats=(frozenset({POOL_KEY}) if held or user.name.lower() in direct else frozenset())
                    if query.seats else None,
                )
        groups = await self._groups(sorted(query.groups), progress)
        pools, unread = await read_pool(self.http, licence_groups) if query.seats else ((), None)
        return TargetState(
            target=self.target, users=users_out, groups=groups, seats=pools, seats_unread=unread
        )

    # --- users -----------------------------------------------------------------------------------

    async def _users(self, query: StateQuery, progress: Progress) -> dict[int, BitbucketUser]:
        names = sorted({n.lower() for n in query.usernames})
        emails = sorted({e.lower() for e in query.emails})
        if not query.user_keys and not names and not emails:
            return {}
        found: dict[int, BitbucketUser] = {}
        if query.user_keys or len(names) + len(emails) > FULL_LISTING_AFTER:
            bar = progress.task(f"{self.target}: users", total=None)
            everyone = await read_all(self.http, "/admin/users", BitbucketUser, self.page_size)
            bar.advance(len(everyone))
            keys, wanted_names, wanted_emails = set(query.user_keys), set(names), set(emails)
            for user in everyone:
                if (
                    str(user.id) in keys
                    or user.name.lower() in wanted_names
                    or (user.email is not None and user.email.lower() in wanted_emails)
                ):
                    found[user.id] = user
            return found
        bar = progress.task(f"{self.target}: users", total=len(names) + len(emails))
        lookups = [("name", n) for n in names] + [("email", e) for e in emails]
        for matches in await bounded_map(lookups, self._search, self.concurrency, bar):
            found.update((user.id, user) for user in matches)
        return found

    async def _search(self, lookup: tuple[str, str]) -> list[BitbucketUser]:
        kind, value = lookup
        hits = await read_all(self.http, "/admin/users", BitbucketUser, self.page_size, {"filter": value})
        if kind == "name":
            return [u for u in hits if u.name.lower() == value]
        return [u for u in hits if u.email is not None and u.email.lower() == value]

    async def _licences(self) -> tuple[frozenset[str], frozenset[str]]:
        """(lower-case licence-granting groups, lower-case users holding a seat-giving permission)."""
        groups = await read_all(self.http, "/admin/permissions/groups", GroupPermission, self.page_size)
        users = await read_all(self.http, "/admin/permissions/users", UserPermission, self.page_size)
        return (
            frozenset(g.group.name.lower() for g in groups if g.permission in LICENSING_PERMISSIONS),
            frozenset(u.user.name.lower() for u in users if u.permission in LICENSING_PERMISSIONS),
        )

    async def _groups_of(self, user: BitbucketUser) -> frozenset[str]:
        groups = await read_all(
            self.http, "/admin/users/more-members", GroupName, self.page_size, {"context": user.name}
        )
        return frozenset(g.name.lower() for g in groups)

    # --- groups ----------------------------------------------------------------------------------

    async def _groups(self, names: list[str], progress: Progress) -> dict[str, frozenset[str] | None]:
        if not names:
            return {}
        # Existence from the group list: what a member listing answers for a missing group is not
        # documented, so it is never taken as the answer to "does it exist".
        existing = {
            g.name.lower(): g.name
            for g in await read_all(self.http, "/admin/groups", GroupName, self.page_size)
        }
        bar = progress.task(f"{self.target}: group members", total=len(names))
        members = await bounded_map(
            [existing.get(name.lower()) for name in names], self._members, self.concurrency, bar
        )
        return dict(zip(names, members, strict=True))

    async def _members(self, group: str | None) -> frozenset[str] | None:
        if group is None:
            return None
        try:
            members = await read_all(
                self.http, "/admin/groups/more-members", MemberName, self.page_size, {"context": group}
            )
        except NotFoundError:
            return None  # deleted since the group list was read
        return frozenset(m.name.lower() for m in members)
