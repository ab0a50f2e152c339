"""The Okta source — a complete read of users, groups and memberships, or an error.

Org-wide read: the user list (which omits DEPROVISIONED users) plus a `status eq "DEPROVISIONED"`
filtered list, so a deactivated person is reported inactive instead of vanishing; the group list;
then each group's members (`/groups/{id}/users`), never per-user group lookups. The three listings
and the member reads run at once, all bounded by `conn.concurrency` requests in flight.

With a membership cache (`use_cache`, org-wide reads only), a group whose `lastMembershipUpdated`
and `lastUpdated` are unchanged since the last complete read keeps its cached member ids; only new or
changed groups are read. Every `full_read_every_hours` (or with an empty cache) all members are read.

App-scoped read (`app_id`): the app's users and groups and those groups' members
(`idsync.sources.okta.app`).

Errors (mapped in `idsync.sources.okta.reader`): 401/403 become a `StopSyncError` that says what to
check; every other failure becomes a `SourceReadError` naming the listing and page or the group that
failed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from idsync.config.connections import OktaConnection
from idsync.domain.errors import NotFoundError, SourceReadError, StopSyncError
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import Snapshot, SourceGroup
from idsync.sources.changes import Changes
from idsync.sources.okta.app import app_group_ids, assigned, read_app
from idsync.sources.okta.cache import CachedGroup, MembershipCache, reusable, usable
from idsync.sources.okta.changes import read_changes
from idsync.sources.okta.client import OktaClient, ResponseShapeError
from idsync.sources.okta.logged import FILTER as LOG_FILTER
from idsync.sources.okta.logged import LoggedChanges
from idsync.sources.okta.models import OktaGroup, OktaUser
from idsync.sources.okta.reader import GROUPS, USERS, Bars, GroupRead, OktaReader, keep_newest

# The plain user list omits DEPROVISIONED users and a `filter` list returns them (Okta's docs and its
# newer spec agree), so they are read with this documented filter.
DEPROVISIONED_FILTER = 'status eq "DEPROVISIONED"'
LOGS = "/api/v1/logs"


class OktaSource:
    """Reads one Okta org (or one Okta app's assignments) through the Management API."""

    def __init__(
        self, name: str, conn: OktaConnection
    ) -> None:
        self.name = name
        self._conn = conn
        self._client = OktaClient(conn)
        self._reader = OktaReader(conn, self._client)
        self._cache: MembershipCache | None = None

    def use_cache(self, cache: MembershipCache) -> None:
        """Reuse unchanged groups' members from `cache` in org-wide reads, and refresh it after each
        complete one (app-scoped reads read members as full users anyway and ignore it)."""
        self._cache = cache

    @property
    def requests(self) -> Counter[str]:
        """Requests sent so far by "GET <endpoint>", for benchmarks and tests."""
        return self._client.http.requests

    @property
    def rate_limited(self) -> int:
        """How many 429 answers were waited out so far."""
        return self._client.http.rate_limited

    @property
    def retries(self) -> int:
        """How many requests were repeated after a transient failure so far."""
        return self._client.http.retries

    @property
    def app_scoped(self) -> bool:
        """Whether this source reads one Okta app's assignments (always in full) rather than the org."""
        return bool(self._conn.app_id)

    @property
    def full_read_every_hours(self) -> float:
        """How often at least a read is a full one (the connection's `full_read_every_hours`)."""
        return self._conn.full_read_every_hours

    @property
    def scope(self) -> str:
        """What this source reads: "all" or "app <id>"."""
        return f"app {self._conn.app_id}" if self._conn.app_id else "all"

    # --- full read ---------------------------------------------------------------------------------

    async def read(self, progress: Progress = NO_PROGRESS) -> Snapshot:
        """Read everything in scope. Complete, or raises SourceReadError / StopSyncError."""
        return await self.read_since(None, progress)

    async def read_changes(self, since: str, progress: Progress = NO_PROGRESS) -> Changes:
        """Users changed since the cursor `since` and every group (see `idsync.sources.okta.changes`);
        a full read when `since` is empty, malformed or older than `full_read_every_hours`."""
        return await read_changes(self, since, progress)

    async def read_since(
        self, changed_since: str | None, progress: Progress = NO_PROGRESS, logged: LoggedChanges | None = None
    ) -> Snapshot:
        """With `changed_since` (an Okta timestamp), the users are only those whose `lastUpdated` is
        later (the documented `filter=lastUpdated gt "…"`, which includes DEPROVISIONED users); groups
        and their members are always complete. Without it, everything in scope. With `logged` (what
        the System Log said since then), a cached group whose timestamps moved is brought up to date
        from the log when that gives Okta's member count, and read otherwise."""
        read_at = datetime.now(UTC)
        bars = Bars(progress)
        cache = None if self._conn.app_id else self._cache
        cached: Mapping[str, CachedGroup] = {}
        if cache is not None:
            # in a thread: at 5,000 groups the cache is seconds of rows, which must not stall the event
            # loop (`idsync serve` answers SCIM and API requests on it)
            loaded = await asyncio.to_thread(cache.load)
            if usable(loaded, self._conn.full_read_every_hours, read_at):
                cached = loaded
        try:
            followed: frozenset[str] = frozenset()
            if self._conn.app_id:
                users, groups = await read_app(self._reader, self._conn.app_id, bars)
            else:
                users, groups, followed = await self._read_org(bars, cached, changed_since, logged)
        except BaseExceptionGroup as group:
            raise _most_telling(group) from None
        if cache is not None:
            # Only a complete read gets here: a failed one never touches the cache.
            entries = _cache_entries(groups, cached, read_at, followed)
            await asyncio.to_thread(cache.save, entries, set(groups))
        snapshot_users = {uid: user.to_source() for uid, user in users.items()}
        # an incremental read holds only the changed users: members stay as Okta listed them and the
        # merge with the stored snapshot drops those that are not users (idsync.sources.changes). A full
        # read keeps each member as the user's own id string, not the copy its member page parsed
        # (750,000 memberships held ~50 MB of duplicate ids at 150,000 people), and drops members who
        # are not users of the read; `map` over a dict's `get` does that in C (750,000 memberships of
        # 150,000 people, best of 6: 0.40 s, the dict included, against 0.54 s for a generator).
        own_id = {} if changed_since else {uid: user.id for uid, user in snapshot_users.items()}
        snapshot_groups = {
            gid: group.to_source(
                members if changed_since else frozenset(filter(None, map(own_id.get, members)))
            )
            for gid, (group, members) in groups.items()
        }
        return Snapshot(self.name, snapshot_users, snapshot_groups, read_at, scope=self.scope)

    async def _read_org(
        self,
        bars: Bars,
        cached: Mapping[str, CachedGroup],
        changed_since: str | None = None,
        logged: LoggedChanges | None = None,
    ) -> tuple[dict[str, OktaUser], dict[str, GroupRead], frozenset[str]]:
        """Users, groups with members, and the groups whose members came from the System Log."""
        users: dict[str, OktaUser] = {}
        groups: dict[str, GroupRead] = {}
        followed: set[str] = set()
        queue: asyncio.Queue[tuple[OktaGroup, CachedGroup | None] | None] = asyncio.Queue()
        workers = self._conn.concurrency
        users_listed = asyncio.Event()

        def take_users(page: list[Any]) -> None:
            for obj in page:
                keep_newest(users, OktaUser.parse(obj))
            bars.users.advance(len(page))

        def take_groups(page: list[Any]) -> None:
            for obj in page:
                group = OktaGroup.parse(obj)
                if group.id in groups:
                    continue
                entry = cached.get(group.id)
                if entry is not None and reusable(entry, *_cache_key(group)):
                    groups[group.id] = (group, entry.member_ids)
                    bars.members.advance()
                else:
                    groups[group.id] = (group, frozenset())
                    queue.put_nowait((group, entry))
            bars.groups.advance(len(page))

        async def list_users(what: str, params: dict[str, Any]) -> None:
            await self._reader.listing(what, USERS, params, take_users)
            users_listed.set()

        async def list_groups() -> None:
            params: dict[str, Any] = {"limit": self._conn.groups_page_size}
            if logged is not None:
                params["expand"] = "stats"  # the member counts that verify what the log says
            try:
                await self._reader.listing("group list", GROUPS, params, take_groups)
                bars.members.set_total(len(groups))
            finally:
                for _ in range(workers):
                    queue.put_nowait(None)

        async def from_log(group: OktaGroup, entry: CachedGroup) -> frozenset[str] | None:
            assert logged is not None
            joined: Iterable[str] = ()
            if group.type == "BUILT_IN":  # Everyone: every user of the org (idsync.sources.okta.logged)
                await users_listed.wait()
                joined = users
            return logged.members_now(entry.member_ids, group.id, group.users_count, joined)

        async def read_members() -> None:
            while (item := await queue.get()) is not None:
                group, entry = item
                ids = None if logged is None or entry is None else await from_log(group, entry)
                if ids is None:
                    ids = frozenset(await self._reader.member_ids(group))
                else:
                    followed.add(group.id)
                groups[group.id] = (group, ids)
                bars.members.advance()

        async with asyncio.TaskGroup() as tasks:
            limit = self._conn.users_page_size
            if changed_since is not None:
                changed = {"filter": f'lastUpdated gt "{changed_since}"', "limit": limit}
                tasks.create_task(list_users("changed user list", changed))
            else:
                users_listed.set()  # no change listing: Everyone is never taken from the log
                tasks.create_task(self._reader.listing("user list", USERS, {"limit": limit}, take_users))
                tasks.create_task(
                    self._reader.listing(
                        "deprovisioned user list",
                        USERS,
                        {"filter": DEPROVISIONED_FILTER, "limit": limit},
                        take_users,
                    )
                )
            tasks.create_task(list_groups())
            for _ in range(workers):
                tasks.create_task(read_members())
        bars.users.set_total(len(users))
        return users, groups, frozenset(followed)

    async def logged_changes(self, since: str) -> LoggedChanges:
        """What the System Log says changed since `since` (an Okta timestamp): deleted users and
        membership changes (`idsync.sources.okta.logged`), read as a polling request (no `until`, so
        Okta's clock alone decides what is "now"), which ends at its first empty page. A log that
        cannot be read raises SourceReadError: the caller then reads everything instead."""
        logged = LoggedChanges()
        params = {"since": since, "filter": LOG_FILTER, "limit": 1000}
        page_number = 1
        with self._reader.failing(lambda: f"System Log of deletions and memberships, page {page_number}"):
            pages = self._client.pages(LOGS, params, label=LOGS)
            async with aclosing(pages):
                async for page in pages:
                    if not page:
                        break
                    logged.take(page)
                    page_number += 1
        return logged

    # --- single user and check ----------------------------------------------------------------------

    async def read_user(self, login: str) -> Snapshot:
        """One user (by Okta id or login) and their groups; NotFoundError when Okta has no such user.
        With `app_id`, only the app's groups count and the user is in scope only when assigned to the
        app directly or through one of those groups (otherwise the snapshot holds no user)."""
        read_at = datetime.now(UTC)
        # A login may hold '@' and '+', never '/' (Okta cannot get a user by such a login): quote the rest.
        path = f"{USERS}/{quote(login, safe='@+')}"
        try:
            with self._reader.failing(f"user {login!r}"):
                user = OktaUser.parse(await self._client.get_json(path, label=f"{USERS}/{{id}}"))
        except SourceReadError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                raise NotFoundError(
                    f"Okta {self._conn.url} has no user {login!r} (looked up as id or login)", status=404
                ) from exc.__cause__
            raise
        with self._reader.failing(f"groups of user {user.id}"):
            raw = await self._client.get_json(f"{USERS}/{user.id}/groups", label=f"{USERS}/{{id}}/groups")
            if not isinstance(raw, list):
                raise ResponseShapeError(f"expected a JSON array, got {type(raw).__name__}")
            groups = [OktaGroup.parse(obj) for obj in raw]
        in_scope = True
        if self._conn.app_id:
            app_groups = await app_group_ids(self._reader, self._conn.app_id)
            groups = [group for group in groups if group.id in app_groups]
            in_scope = bool(groups) or await assigned(self._reader, self._conn.app_id, user.id)
        users = {user.id: user.to_source()} if in_scope else {}
        members = frozenset(users)
        snapshot_groups: dict[str, SourceGroup] = {g.id: g.to_source(members) for g in groups}
        return Snapshot(self.name, users, snapshot_groups, read_at, scope=self.scope, single_user=user.id)

    async def check(self) -> str:
        """One cheap authenticated call (two with app_id): says whether the token works and what it sees."""
        with self._reader.failing("token check"):
            if self._conn.app_id:
                app_path = f"/api/v1/apps/{quote(self._conn.app_id, safe='')}"
                page, more = await self._client.first_page(
                    f"{app_path}/groups",
                    {"limit": self._conn.app_groups_page_size},
                    label="/api/v1/apps/{id}/groups",
                )
                users, _ = await self._client.first_page(
                    f"{app_path}/users", {"limit": 1}, label="/api/v1/apps/{id}/users"
                )
                count = f"{len(page):,}{'+' if more else ''}"
                who = "users assigned" if users else "no users assigned"
                return f"Okta {self._conn.url}: token OK, app {self._conn.app_id}: {count} groups, {who}"
            page, more = await self._client.first_page(
                GROUPS, {"limit": self._conn.groups_page_size}, label=GROUPS
            )
        count = f"{len(page):,}{'+' if more else ''}"
        return f"Okta {self._conn.url}: token OK, {count} groups visible"

    async def aclose(self) -> None:
        """Release connections."""
        await self._client.aclose()


def _cache_key(group: OktaGroup) -> tuple[str | None, str | None]:
    return group.timestamps.get("lastMembershipUpdated"), group.timestamps.get("lastUpdated")


def _cache_entries(
    groups: Mapping[str, GroupRead],
    cached: Mapping[str, CachedGroup],
    read_at: datetime,
    followed: frozenset[str] = frozenset(),
) -> list[CachedGroup]:
    """The cache entries to write after a complete read: the groups read now (reused entries stay
    as stored, keeping their `read_at`, so the age limit forces a full read in time; so do the groups
    brought up to date from the System Log, which were not read). Member ids are kept unfiltered,
    exactly as Okta listed them."""
    entries: list[CachedGroup] = []
    for gid, (group, members) in groups.items():
        key = _cache_key(group)
        entry = cached.get(gid)
        if not reusable(entry, *key):
            read = entry.read_at if gid in followed and entry is not None else read_at
            entries.append(CachedGroup(gid, key[0], key[1], members, read))
    return entries


def _most_telling(group: BaseExceptionGroup[Any]) -> BaseException:
    """From the failures of concurrent reads, the one to report: credentials first, then the first
    incomplete read; anything else (a bug) is re-raised as it is."""
    leaves = list(_leaves(group))
    for kind in (StopSyncError, SourceReadError):
        for error in leaves:
            if isinstance(error, kind):
                return error
    return group


def _leaves(group: BaseExceptionGroup[Any]) -> Iterator[BaseException]:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error
