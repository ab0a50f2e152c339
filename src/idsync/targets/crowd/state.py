"""Reading what the diff needs from Crowd: users by key, by username and by email (with the custom
attributes the query names), the direct groups of the users in `StateQuery.member_of`
(GET /user/group/direct), and the direct members of the groups it names.

Requests are saved where Crowd allows it: usernames and emails are looked up in batches through
GET /search with a CQL `or` restriction (one request per batch instead of one per user), a user read by
key comes with its attributes (`expand=attributes`), and a group's direct members come by name only,
1,000 per page. Paging has no total: a page shorter than asked for is the last, which holds because
1,000 is the documented default of `max-results`.

A read is complete or it raises (a failed page fails the read; it never means "fewer users"): only a
404 whose body says USER_NOT_FOUND / GROUP_NOT_FOUND means absent (see quirks.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from idsync.domain.progress import Progress
from idsync.domain.records import StateQuery, TargetState, TargetUser
from idsync.http import HttpClient
from idsync.targets.crowd.client import API, AttributeList, CrowdUser, NameList, NameRef, UserList
from idsync.targets.crowd.quirks import attribute_value, cql_any, cql_safe, is_reason, refine
from idsync.targets.jira.state import bounded_map

PAGE_SIZE = 1000
"""`max-results` of paged reads: Crowd's documented default for list and search endpoints."""
SEARCH_BATCH = 40
"""Values per CQL `or` search: keeps the request URL well under common 8 KiB proxy limits."""


class _GroupNames(BaseModel):
    """`{"expand": "group", "groups": [{"name"}]}` (a user's direct groups, not expanded)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    groups: list[NameRef] = []


def _chunks(values: Sequence[str], size: int) -> list[list[str]]:
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


class StateReader:
    """One `read_state` call against one Crowd connection."""

    def __init__(
        self,
        http: HttpClient,
        target: str,
        concurrency: int,
        page_size: int = PAGE_SIZE,
        search_batch: int = SEARCH_BATCH,
    ) -> None:
        self.http = http
        self.target = target
        self.concurrency = concurrency
        self.page_size = page_size
        self.search_batch = search_batch

    async def read(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read everything `query` asks for, concurrently within the connection's cap."""
        keys = sorted(query.property_keys)
        users = await self._users(query, bool(keys), progress)
        attributes = await self._attributes(list(users.values()), keys, progress)
        groups = await self._groups(sorted(query.groups), progress)
        member_of = {n.lower() for n in query.member_of}
        theirs = [user for user in users.values() if user.name.lower() in member_of]
        groups_of = dict(zip((u.key for u in theirs),
                             await bounded_map(theirs, self._groups_of, self.concurrency), strict=True))
        return TargetState(
            target=self.target,
            users={
                key: TargetUser(
                    key=user.key,
                    username=user.name,
                    email=user.email or None,
                    display_name=user.display_name or None,
                    active=user.active,
                    properties={k: attribute_value(attributes.get(key, {}).get(k)) for k in keys},
                    groups=groups_of.get(key),
                )
                for key, user in users.items()
            },
            groups=groups,
        )

    # --- users -----------------------------------------------------------------------------------

    async def _users(self, query: StateQuery, expand: bool, progress: Progress) -> dict[str, CrowdUser]:
        names = sorted({n.lower() for n in query.usernames})
        emails = sorted({e.lower() for e in query.emails})
        by_key = [("key", k) for k in sorted(query.user_keys)]
        by_key += [("username", n) for n in names if not cql_safe(n)]
        name_batches = _chunks([n for n in names if cql_safe(n)], self.search_batch)
        email_batches = _chunks([e for e in emails if cql_safe(e)], self.search_batch)
        email_batches += [[e] for e in emails if not cql_safe(e)]  # escaped, but searched alone
        bar = progress.task(f"{self.target}: users", total=len(by_key) + len(names) + len(emails))
        found: dict[str, CrowdUser] = {}

        async def one(lookup: tuple[str, str]) -> CrowdUser | None:
            return await self._user(lookup, expand)

        for user in await bounded_map(by_key, one, self.concurrency):
            bar.advance()
            if user is not None:
                found[user.key] = user
        for field, batches in (("name", name_batches), ("email", email_batches)):

            async def search(batch: list[str], field: str = field) -> list[CrowdUser]:
                matches = await self._search(field, batch)
                bar.advance(len(batch))
                return matches

            for matches in await bounded_map(batches, search, self.concurrency):
                for user in matches:
                    found.setdefault(user.key, user)  # a by-key read carries attributes: keep it
        return found

    async def _user(self, lookup: tuple[str, str], expand: bool) -> CrowdUser | None:
        param, value = lookup
        params = {param: value, "expand": "attributes"} if expand else {param: value}
        response = await self.http.request("GET", f"{API}/user", params=params, ok=(200, 404))
        if response.status_code == 404:
            if is_reason(response, "USER_NOT_FOUND"):
                return None
            raise refine(response)
        return CrowdUser.model_validate_json(response.content)

    async def _search(self, field: str, values: list[str]) -> list[CrowdUser]:
        """Users whose `field` equals one of `values`, ignoring case (a wildcard in a value can
        widen the search; only exact matches are kept). Inactive users count: they can be claimed."""
        wanted = {v.lower() for v in values}
        restriction = cql_any(field, values)
        matches: list[CrowdUser] = []
        start = 0
        while True:
            response = await self.http.request(
                "GET",
                f"{API}/search",
                params={
                    "entity-type": "user",
                    "restriction": restriction,
                    "expand": "user",
                    "start-index": start,
                    "max-results": self.page_size,
                },
                ok=(200,),
            )
            page = UserList.model_validate_json(response.content).users
            matches += [u for u in page if (u.name if field == "name" else u.email or "").lower() in wanted]
            if len(page) < self.page_size:
                return matches
            start += len(page)

    async def _attributes(
        self, users: list[CrowdUser], keys: list[str], progress: Progress
    ) -> dict[str, dict[str, list[str]]]:
        """Attribute values by user key. Users read by key came expanded; the others (found by a
        search) are read with GET /user/attribute, one request each."""
        if not keys:
            return {}
        result: dict[str, dict[str, list[str]]] = {}
        missing: list[CrowdUser] = []
        for user in users:
            listed = user.attributes.attributes if user.attributes is not None else None
            if listed is None:
                missing.append(user)
            else:
                result[user.key] = {a.name: a.values for a in listed}
        bar = progress.task(f"{self.target}: user attributes", total=len(missing))
        for user, values in zip(
            missing, await bounded_map(missing, self._user_attributes, self.concurrency, bar), strict=True
        ):
            result[user.key] = values
        return result

    async def _user_attributes(self, user: CrowdUser) -> dict[str, list[str]]:
        response = await self.http.request(
            "GET", f"{API}/user/attribute", params={"username": user.name}, ok=(200,)
        )
        listed = AttributeList.model_validate_json(response.content).attributes or []
        return {a.name: a.values for a in listed}

    # --- groups ----------------------------------------------------------------------------------

    async def _groups(self, names: list[str], progress: Progress) -> dict[str, frozenset[str] | None]:
        bar = progress.task(f"{self.target}: group members", total=len(names))
        members = await bounded_map(names, self._members, self.concurrency, bar)
        return dict(zip(names, members, strict=True))

    async def _groups_of(self, user: CrowdUser) -> frozenset[str]:
        """The user's direct groups, every page. (For a user that has just been read: Crowd answers a
        missing user here with an empty list, CWD-4433, which could not be told from "no groups".)"""
        names: set[str] = set()
        start = 0
        while True:
            response = await self.http.request(
                "GET",
                f"{API}/user/group/direct",
                params={"username": user.name, "start-index": start, "max-results": self.page_size},
                ok=(200,),
            )
            page = _GroupNames.model_validate_json(response.content).groups
            names.update(group.name for group in page)
            if len(page) < self.page_size:
                return frozenset(names)
            start += len(page)

    async def _members(self, group: str) -> frozenset[str] | None:
        names: set[str] = set()
        start = 0
        while True:
            response = await self.http.request(
                "GET",
                f"{API}/group/user/direct",
                params={"groupname": group, "start-index": start, "max-results": self.page_size},
                ok=(200, 404),
            )
            if response.status_code == 404:
                if start == 0 and is_reason(response, "GROUP_NOT_FOUND"):
                    return None  # the group does not exist
                raise refine(response)
            page = NameList.model_validate_json(response.content).users
            names.update(user.name.lower() for user in page)
            if len(page) < self.page_size:
                return frozenset(names)
            start += len(page)
