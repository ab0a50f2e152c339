"""Reading what the diff needs from Confluence: users (by key, by username, by email), the direct
groups of the users in `StateQuery.member_of` (`/user/memberof`), and the direct members of managed
groups. Confluence has no custom-attribute store and no leads, so nothing else.

A read is complete or it raises: a 404 that means "absent" is named here, every other
failure propagates as the ConnectorError the HttpClient mapped. Pages are followed by `_links.next`
until it is absent; a page that is empty but promises more, or a `next` that repeats, fails the read.
`next` is a path, resolved against the connection URL (which carries any context path, as
`_links.base` does on the server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from idsync.domain.errors import ConnectorError, NotFoundError
from idsync.domain.progress import Progress
from idsync.domain.records import StateQuery, TargetState, TargetUser
from idsync.http import HttpClient
from idsync.targets.confluence.client import API, MemberPage, PageLinks, Person, PersonPage
from idsync.targets.confluence.quirks import is_active
from idsync.targets.jira.state import bounded_map

PERSON_EXPAND = "status,details.personal"
"""What a user read must expand: `status` (enabled or not) and `details.personal` (the email)."""



class _GroupName(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str


class _GroupPage(BaseModel):
    """One page of GET /user/memberof (group results)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    results: list[_GroupName]
    links: PageLinks = Field(default_factory=PageLinks, alias="_links")


P = TypeVar("P", MemberPage, PersonPage, _GroupPage)


class StateReader:
    """One `read_state` call against one Confluence connection."""

    def __init__(self, http: HttpClient, target: str, concurrency: int, page_size: int) -> None:
        self.http = http
        self.target = target
        self.concurrency = concurrency
        self.page_size = page_size

    async def read(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read everything `query` asks for, concurrently within the connection's cap."""
        users = await self._users(query, progress)
        groups = await self._groups(sorted(query.groups), progress)
        return TargetState(target=self.target, users=users, groups=groups)

    # --- users -----------------------------------------------------------------------------------

    async def _users(self, query: StateQuery, progress: Progress) -> dict[str, TargetUser]:
        lookups: list[tuple[str, str]] = [("key", k) for k in sorted(query.user_keys)]
        lookups += [("username", name) for name in sorted({n.lower() for n in query.usernames})]
        bar = progress.task(f"{self.target}: users", total=len(lookups) + (1 if query.emails else 0))
        found: dict[str, TargetUser] = {}
        for person in await bounded_map(lookups, self._user, self.concurrency, bar):
            if person is not None:
                user = _target_user(person)
                found[user.key] = user
        if query.emails:
            # No email search exists in this API: page through every user (disabled ones too, so they
            # can be claimed) and keep exact, case-insensitive matches.
            emails = {e.lower() for e in query.emails}
            for person in await self._all_users():
                if person.email is not None and person.email.lower() in emails:
                    user = _target_user(person)
                    found[user.key] = user
            bar.advance()
        member_of = {n.lower() for n in query.member_of}
        theirs = [user for user in found.values() if user.username in member_of]
        for user, groups in zip(theirs, await bounded_map(theirs, self._groups_of, self.concurrency),
                                strict=True):
            found[user.key] = replace(user, groups=groups)
        return found

    async def _groups_of(self, user: TargetUser) -> frozenset[str]:
        """The user's direct groups, every page of /user/memberof."""
        names: set[str] = set()
        first = f"{API}/user/memberof?username={quote(user.username, safe='')}&limit={self.page_size}&start=0"
        try:
            await self._pages(first, f"{API}/user/memberof", _GroupPage.model_validate_json,
                              lambda page: names.update(g.name for g in page.results))
        except _FirstPageMissing:
            raise ConnectorError(f"GET {API}/user/memberof: Confluence has no user {user.username!r}, "
                                 "which it has just returned") from None
        return frozenset(names)

    async def _user(self, lookup: tuple[str, str]) -> Person | None:
        param, value = lookup
        try:
            response = await self.http.request(
                "GET", f"{API}/user", params={param: value, "expand": PERSON_EXPAND}, ok=(200,),
                label=f"{API}/user",
            )  # fmt: skip
        except NotFoundError:
            return None
        return Person.model_validate_json(response.content)

    async def _all_users(self) -> list[Person]:
        first = f"{API}/user/list?limit={self.page_size}&start=0&expand={quote(PERSON_EXPAND, safe='')}"
        people: list[Person] = []
        await self._pages(
            first, f"{API}/user/list", PersonPage.model_validate_json, lambda p: people.extend(p.results)
        )
        return people

    # --- groups ----------------------------------------------------------------------------------

    async def _groups(self, names: list[str], progress: Progress) -> dict[str, frozenset[str] | None]:
        bar = progress.task(f"{self.target}: group members", total=len(names))
        members = await bounded_map(names, self._members, self.concurrency, bar)
        return dict(zip(names, members, strict=True))

    async def _members(self, group: str) -> frozenset[str] | None:
        names: set[str] = set()
        first = f"{API}/group/{quote(group, safe='')}/member?limit={self.page_size}&start=0"
        try:
            await self._pages(
                first, f"{API}/group/{{name}}/member", MemberPage.model_validate_json,
                lambda page: names.update(m.username.lower() for m in page.results),
            )  # fmt: skip
        except _FirstPageMissing:
            return None  # the group does not exist
        return frozenset(names)

    # --- paging ----------------------------------------------------------------------------------

    async def _pages(
        self, url: str, label: str, parse: Callable[[bytes], P], take: Callable[[P], None]
    ) -> None:
        """Fetch `url` and every page its `_links.next` chain leads to, handing each to `take`. A 404
        on the first page raises _FirstPageMissing; on a later page it is a failed read."""
        seen: set[str] = set()
        current: str | None = url
        while current is not None:
            try:
                response = await self.http.request("GET", current, ok=(200,), label=label)
            except NotFoundError:
                if not seen:
                    raise _FirstPageMissing from None
                raise
            seen.add(current)
            page = parse(response.content)
            take(page)
            nxt = page.links.next
            if nxt is not None and (not page.results or nxt in seen):
                why = "is empty" if not page.results else "links back to a page already read"
                raise ConnectorError(
                    f"GET {current}: the page {why} but promises more (_links.next {nxt!r}); the list "
                    "cannot be read completely"
                )
            current = nxt


class _FirstPageMissing(Exception):
    """The first page of a listing answered 404: the object (a group) does not exist."""


def _target_user(person: Person) -> TargetUser:
    if not person.user_key or not person.username:
        raise ConnectorError(f"Confluence returned a {person.type!r} user without userKey or username")
    return TargetUser(
        key=person.user_key,
        username=person.username.lower(),
        email=person.email,
        display_name=person.display_name,
        active=is_active(person.status, person.username),
    )
