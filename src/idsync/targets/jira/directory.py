"""Reading Jira's whole user directory page by page, when that is cheaper than looking people up.

An initial sync, or the first run after the store was lost, looks up every person in scope: at
150,000 people that was 150,000 `GET /user` requests (68 s at 10 ms and 48 in flight), nearly all
answering 404. Jira 10.3 LTS and 11 stream every user, active and inactive, through
`GET /user/list?cursor=&maxResults=` (a `StreamPage`: `values`, `isLast`, `nextCursor`; no total, order
undefined, 2,000 users a page by default). A complete listing answers each lookup and proves each
absence, in a page per 2,000 users.

When to list: only with at least `LIST_FROM` lookups, and only while the directory stays within
`LIST_RATIO` times the lookups — a few people looked up in a directory of a million are cheaper one by
one, so the listing stops there and the caller looks them up as before (the pages read are wasted,
at most one request per `2,000 ÷ LIST_RATIO` lookups). Jira before 10.3 answers the path 404 like any
unknown resource: the caller looks up one by one.

A listing proves absence as well as a lookup does: someone created after their page was read is
missed, exactly as someone created after their lookup is; the create then fails as "already exists"
and the next run links them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from idsync.domain.errors import ConnectorError, NotFoundError
from idsync.domain.progress import ProgressTask
from idsync.http import HttpClient
from idsync.targets.jira.client import API, JiraUser

LIST_FROM = 1000
"""Lookups from which the directory is listed rather than users looked up one by one."""
LIST_RATIO = 20
"""The listing stops (and lookups go one by one) once it has read this many users per lookup."""
LIST_PAGE_SIZE = 2000
"""`maxResults` of `/user/list`: its documented default, the largest size known to be served."""


class _StreamPage(BaseModel):
    """One page of GET /user/list."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    values: list[JiraUser] = Field(default_factory=list)
    is_last: bool = Field(True, alias="isLast")
    next_cursor: str | None = Field(None, alias="nextCursor")


class Directory:
    """Every user of the directory, by key and by lower-case username."""

    __slots__ = ("by_key", "by_name")

    def __init__(self, users: list[JiraUser]) -> None:
        self.by_key = {user.key: user for user in users}
        self.by_name = {user.name.lower(): user for user in users}

    def find(self, kind: str, value: str) -> JiraUser | None:
        """The user a lookup by "key" or "username" finds; None: Jira has no such user."""
        return self.by_key.get(value) if kind == "key" else self.by_name.get(value.lower())


async def read_directory(
    http: HttpClient,
    lookups: int,
    bar: ProgressTask | None = None,
    *,
    list_from: int = LIST_FROM,
    ratio: int = LIST_RATIO,
    page_size: int = LIST_PAGE_SIZE,
) -> Directory | None:
    """The whole directory, or None when listing does not pay (fewer than `list_from` lookups, a
    directory over `ratio` times the lookups) or Jira has no `/user/list` (before 10.3): then look
    users up one by one."""
    if lookups < list_from:
        return None
    users: list[JiraUser] = []
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, str | int] = {"maxResults": page_size}
        if cursor is not None:
            params["cursor"] = cursor
        try:
            response = await http.request("GET", f"{API}/user/list", params=params, ok=(200,))
        except NotFoundError:
            if cursor is None:
                return None  # Jira before 10.3: no streaming list
            raise
        page = _StreamPage.model_validate_json(response.content)
        users += page.values
        if bar is not None:
            bar.advance(len(page.values))
        if page.is_last:
            return Directory(users)
        if len(users) > ratio * lookups:
            return None
        if not page.next_cursor or page.next_cursor in seen:
            # a page that is not the last must say where the next begins; a repeated cursor would
            # loop forever. Either is a broken answer, not the end of the directory.
            raise ConnectorError(
                f"GET {API}/user/list: a page with isLast=false gave "
                f"{'no nextCursor' if not page.next_cursor else 'a cursor it gave before'}; "
                "the user directory cannot be read to its end"
            )
        seen.add(page.next_cursor)
        cursor = page.next_cursor
