"""Reading what the diff needs from Jira: users (by key, username, email), their managed user
properties, the groups of the users in `StateQuery.member_of` (the user lookup with `expand=groups`),
members of managed groups, and project / component leads.

A read is complete or it raises: every 404 that means "absent" is named here, any
other failure propagates as the ConnectorError the HttpClient mapped. Usernames are compared
lower-case, as Jira stores them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from idsync.domain.errors import ConnectorError, NotFoundError
from idsync.domain.progress import Progress, ProgressTask
from idsync.domain.records import LeadRole, StateQuery, TargetState, TargetUser
from idsync.http import HttpClient
from idsync.targets.jira.client import (
    API,
    COMPONENT_LIST,
    PROJECT_LIST,
    USER_LIST,
    EntityProperty,
    JiraProject,
    JiraUser,
    MemberPage,
)
from idsync.targets.jira.directory import LIST_FROM, Directory, read_directory
from idsync.targets.jira.seats import read_pools, seats_of


class _GroupName(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str


class _GroupList(BaseModel):
    """The `groups` SimpleListWrapper of a UserBean: `items` only with `expand=groups`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    size: int = 0
    items: list[_GroupName] = Field(default_factory=list)


class _UserGroups(BaseModel):
    """The part of GET /user?expand=groups that JiraUser does not carry."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    groups: _GroupList | None = None

    def names(self) -> frozenset[str] | None:
        """The user's group names; None when the list is missing or cut short (size > items), which
        proves nothing about a group left out."""
        if self.groups is None or self.groups.size > len(self.groups.items):
            return None
        return frozenset(g.name for g in self.groups.items)


T = TypeVar("T")
R = TypeVar("R")

SEARCH_PAGE_SIZE = 100
"""`/user/search` page size: Jira 10.x returns at most 100 results of a search in total (9.x: 1,000)."""
SEARCH_CAPS = frozenset({100, 1000})
"""Totals at which `/user/search` stops without saying so: Jira 10.x returns at most 100 matches of a
search, Jira 8/9 at most 1,000, and paging past the cap returns an empty page. A search that ends at
one of these totals may have been cut, so its result proves neither absence nor uniqueness."""


async def bounded_map(
    items: Iterable[T], fn: Callable[[T], Awaitable[R]], limit: int, bar: ProgressTask | None = None
) -> list[R]:
    """Run `fn` over `items` with at most `limit` in flight; the first failure cancels the rest."""
    slots = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with slots:
            result = await fn(item)
        if bar is not None:
            bar.advance()
        return result

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(item)) for item in items]
    except BaseExceptionGroup as failures:
        # callers act on the error type: surface the first real error, not a group
        raise _first_leaf(failures) from None
    return [task.result() for task in tasks]


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


class StateReader:
    """One `read_state` call against one Jira connection."""

    def __init__(self, http: HttpClient, target: str, concurrency: int, member_page_size: int) -> None:
        self.http = http
        self.target = target
        self.concurrency = concurrency
        self.member_page_size = member_page_size

    async def read(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read everything `query` asks for (see StateQuery), concurrently within the connection's cap."""
        users, member_groups, unresolved, groups_of = await self._users(query, progress)
        unknown = [user for key, user in users.items() if key not in query.properties_known]
        properties = await self._properties(unknown, sorted(query.property_keys), progress)
        groups = await self._groups(sorted(query.groups), progress)
        found = await bounded_map(sorted(query.groups_exist), self._exists, self.concurrency, None)
        existing = frozenset(name for name, exists in zip(sorted(query.groups_exist), found, strict=True)
                             if exists)
        groups.update(dict.fromkeys(query.groups_exist - existing))
        leads = await self._leads(progress) if query.leads else ()
        pools, seats_unread = await read_pools(self.http) if query.seats else ((), None)
        return TargetState(
            target=self.target,
            users={
                key: TargetUser(
                    key=user.key,
                    username=user.name.lower(),
                    email=user.email,
                    display_name=user.display_name,
                    active=user.active,
                    properties=properties.get(key, {}),
                    groups=member_groups.get(key),
                    seats=seats_of(groups_of.get(key), pools) if query.seats else None,
                )
                for key, user in users.items()
            },
            groups=groups,
            leads=leads,
            unresolved_emails=unresolved,
            seats=pools,
            seats_unread=seats_unread,
            existing_groups=existing,
        )

    # --- users -----------------------------------------------------------------------------------

    async def _users(
        self, query: StateQuery, progress: Progress
    ) -> tuple[dict[str, JiraUser], dict[str, frozenset[str] | None], frozenset[str],
               dict[str, frozenset[str] | None]]:
        """Users by key, username and email; for those in `query.member_of`, their groups by key (and
        every looked-up user's groups, when the seats are read: the groups give the licences)."""
        # a single-user run: one or two lookups, each with its groups
        expand = bool(query.member_of) or query.seats
        usernames = {n.lower() for n in query.usernames}
        lookups: list[tuple[str, str, bool]] = [("key", k, expand) for k in sorted(query.user_keys)]
        lookups += [("username", name, expand) for name in sorted(usernames)]
        emails = sorted({e.lower() for e in query.emails})
        member_of = {n.lower() for n in query.member_of}
        found: dict[str, JiraUser] = {}
        groups_of: dict[str, frozenset[str] | None] = {}
        wanted = len(lookups) + len(member_of - usernames)
        listing = progress.task(f"{self.target}: user directory", total=None) if wanted >= LIST_FROM else None
        directory = await read_directory(self.http, wanted, listing)
        if directory is not None:
            # the listing answers every lookup; only users whose groups are needed are read again
            lookups, extra = self._from_directory(directory, lookups, member_of - usernames, found, groups_of)
        bar = progress.task(f"{self.target}: users", total=len(lookups) + len(emails))
        for user, groups in await bounded_map(lookups, self._user, self.concurrency, bar):
            if user is not None:
                found[user.key] = user
                groups_of[user.key] = groups
        if directory is None:
            missing = member_of - usernames - {u.name.lower() for u in found.values()}
            extra = [("username", name, True) for name in sorted(missing)]
        for user, groups in await bounded_map(extra, self._user, self.concurrency):
            if user is not None:
                found[user.key] = user
                groups_of[user.key] = groups
        unresolved: set[str] = set()
        for email, (matches, complete) in zip(
            emails, await bounded_map(emails, self._users_by_email, self.concurrency, bar), strict=True
        ):
            for user in matches:
                found[user.key] = user
            if not complete:
                unresolved.add(email)
        member_groups = {
            key: groups_of.get(key) for key, user in found.items() if user.name.lower() in member_of
        }
        return found, member_groups, frozenset(unresolved), groups_of

    @staticmethod
    def _from_directory(
        directory: Directory,
        lookups: list[tuple[str, str, bool]],
        more_member_of: set[str],
        found: dict[str, JiraUser],
        groups_of: dict[str, frozenset[str] | None],
    ) -> tuple[list[tuple[str, str, bool]], list[tuple[str, str, bool]]]:
        """Answer `lookups` from the listing into `found`: someone it lacks does not exist. Returns the
        lookups still to send: by key, for the users found whose groups are needed (the listing does
        not carry groups), and for the `member_of` names outside the lookups that it has."""
        again: list[tuple[str, str, bool]] = []
        for kind, value, expand in lookups:
            user = directory.find(kind, value)
            if user is None:
                continue
            if expand:
                again.append(("key", user.key, True))
            else:
                found[user.key] = user
                groups_of[user.key] = None
        asked = {key for _, key, _ in again} | found.keys()
        extra = [("key", user.key, True) for name in sorted(more_member_of)
                 if (user := directory.find("username", name)) is not None and user.key not in asked]
        return again, extra

    async def _user(self, lookup: tuple[str, str, bool]) -> tuple[JiraUser | None, frozenset[str] | None]:
        """GET /user by key or username (None: no such user), with its groups when `expand`."""
        param, value, expand = lookup
        params = {param: value, "expand": "groups"} if expand else {param: value}
        try:
            response = await self.http.request(
                "GET", f"{API}/user", params=params, ok=(200,), label=f"{API}/user"
            )
        except NotFoundError:
            return None, None
        user = JiraUser.model_validate_json(response.content)
        groups = _UserGroups.model_validate_json(response.content).names() if expand else None
        return user, groups

    async def _users_by_email(self, email: str) -> tuple[list[JiraUser], bool]:
        """Target users with exactly this e-mail, and whether the search was complete.

        /user/search matches username, display name and email by prefix, so a common address can
        have more matches than Jira returns. Inactive users count (they can be claimed). When the
        search of both kinds ends at a cap, it is narrowed to active and inactive users separately;
        if either is still cut, the result is reported incomplete, never taken as "no such user"."""
        matches, total = await self._search(email, active=True, inactive=True)
        if total not in SEARCH_CAPS:
            return matches, True
        active, active_total = await self._search(email, active=True, inactive=False)
        inactive, inactive_total = await self._search(email, active=False, inactive=True)
        complete = active_total not in SEARCH_CAPS and inactive_total not in SEARCH_CAPS
        return active + inactive, complete

    async def _search(self, email: str, *, active: bool, inactive: bool) -> tuple[list[JiraUser], int]:
        """Exact e-mail matches of every page of one search, and how many results the pages held."""
        matches: list[JiraUser] = []
        start = 0
        while True:
            response = await self.http.request(
                "GET",
                f"{API}/user/search",
                params={
                    "username": email,
                    "startAt": start,
                    "maxResults": SEARCH_PAGE_SIZE,
                    "includeActive": str(active).lower(),
                    "includeInactive": str(inactive).lower(),
                },
                ok=(200,),
            )
            page = USER_LIST.validate_json(response.content)
            matches += [u for u in page if u.email is not None and u.email.lower() == email]
            start += len(page)
            if len(page) < SEARCH_PAGE_SIZE:
                return matches, start

    async def _properties(
        self, users: list[JiraUser], keys: list[str], progress: Progress
    ) -> dict[str, dict[str, str | None]]:
        if not keys or not users:
            return {}
        pairs = [(user, key) for user in users for key in keys]
        bar = progress.task(f"{self.target}: user properties", total=len(pairs))
        values = await bounded_map(pairs, self._property, self.concurrency, bar)
        result: dict[str, dict[str, str | None]] = {}
        for (user, key), value in zip(pairs, values, strict=True):
            result.setdefault(user.key, {})[key] = value
        return result

    async def _property(self, pair: tuple[JiraUser, str]) -> str | None:
        user, key = pair
        try:
            response = await self.http.request(
                "GET",
                f"{API}/user/properties/{quote(key, safe='')}",
                params={"username": user.name},
                ok=(200,),
                label=f"{API}/user/properties/{{key}}",
            )
        except NotFoundError:
            return None  # the property is not set for this user
        value = EntityProperty.model_validate_json(response.content).value
        if value is None or isinstance(value, str):
            return value
        # idsync writes strings; a value someone else wrote as other JSON is compared in JSON form
        return json.dumps(value, sort_keys=True)

    # --- groups ----------------------------------------------------------------------------------

    async def _groups(self, names: list[str], progress: Progress) -> dict[str, frozenset[str] | None]:
        bar = progress.task(f"{self.target}: group members", total=len(names))
        members = await bounded_map(names, self._members, self.concurrency, bar)
        return dict(zip(names, members, strict=True))

    async def _member_page(self, group: str, start: int) -> MemberPage:
        response = await self.http.request(
            "GET",
            f"{API}/group/member",
            params={
                "groupname": group,
                "includeInactiveUsers": "true",
                "startAt": start,
                "maxResults": self.member_page_size,
            },
            ok=(200,),
        )
        return MemberPage.parse(response.content)

    async def _exists(self, group: str) -> bool:
        """Whether the group exists, from one member page of size 1 (Jira answers 404 for a group it
        does not have; the group picker matches substrings and would need paging to be sure)."""
        try:
            await self.http.request(
                "GET", f"{API}/group/member", params={"groupname": group, "maxResults": 1}, ok=(200,)
            )
        except NotFoundError:
            return False
        return True

    async def _members(self, group: str) -> frozenset[str] | None:
        try:
            first = await self._member_page(group, 0)
        except NotFoundError:
            return None  # the group does not exist
        pages = [first]
        size = len(first.values)
        if not first.is_last and first.total is not None and size:
            # the total is known: fetch the remaining pages at once, then continue if it grew meanwhile
            starts = range(size, first.total, size)
            pages += await asyncio.gather(*(self._member_page(group, s) for s in starts))
        names: set[str] = set()
        for page in pages:
            names.update(user.name.lower() for user in page.values)
        last = pages[-1]
        start = last.start_at + len(last.values)
        while not last.is_last:
            if not last.values:
                raise ConnectorError(
                    f"GET {API}/group/member?groupname={group}: page at startAt={last.start_at} is empty "
                    "but not marked isLast; the member list cannot be read completely"
                )
            last = await self._member_page(group, start)
            names.update(user.name.lower() for user in last.values)
            start += len(last.values)
        return frozenset(names)

    # --- leads -----------------------------------------------------------------------------------

    async def _leads(self, progress: Progress) -> tuple[LeadRole, ...]:
        response = await self.http.request("GET", f"{API}/project", params={"expand": "lead"}, ok=(200,))
        projects = PROJECT_LIST.validate_json(response.content)
        bar = progress.task(f"{self.target}: project and component leads", total=len(projects))
        per_project = await bounded_map(projects, self._project_leads, self.concurrency, bar)
        return tuple(role for roles in per_project for role in roles)

    async def _project_leads(self, project: JiraProject) -> list[LeadRole]:
        if project.lead is None or not project.lead.name:
            # Jira's docs don't say whether the list form carries `lead`: ask for the project
            path = f"{API}/project/{quote(project.key, safe='')}"
            response = await self.http.request("GET", path, ok=(200,), label=f"{API}/project/{{key}}")
            project = JiraProject.model_validate_json(response.content)
        roles: list[LeadRole] = []
        if project.lead is not None and project.lead.name:
            roles.append(LeadRole("project", project.key, project.name, project.lead.name.lower()))
        response = await self.http.request(
            "GET",
            f"{API}/project/{quote(project.key, safe='')}/components",
            ok=(200,),
            label=f"{API}/project/{{key}}/components",
        )
        for component in COMPONENT_LIST.validate_json(response.content):
            lead = component.lead_name
            if lead:
                name = f"{project.key}/{component.name}"
                roles.append(LeadRole("component", component.id, name, lead.lower()))
        return roles
