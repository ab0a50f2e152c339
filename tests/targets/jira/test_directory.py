"""The user directory listing (`GET /user/list`, Jira 10.3+) against the Jira emulator over HTTP: it
answers many lookups in a page per 2,000 users with the same result as looking each one up, proves
absence, falls back on a Jira without the path, and gives up on a directory far larger than the
lookups."""

from __future__ import annotations

from collections.abc import Callable

from idsync.config.connections import JiraConnection
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import StateQuery
from idsync.targets.jira import JiraTarget
from idsync.targets.jira.directory import LIST_FROM, read_directory
from tests.fixtures.sandbox import RunningJira

USERS = 1_600


def connect(jira: RunningJira) -> JiraTarget:
    fields = {"type": "jira", "url": jira.url, "token": jira.token}
    return JiraTarget("jira", JiraConnection.model_validate(fields))


def _query(jira: RunningJira, *, member_of: bool = False) -> StateQuery:
    """LIST_FROM lookups and more: most existing users by username (in another case), some by key,
    and absent ones of both kinds."""
    users = sorted(jira.sandbox.state.users.values(), key=lambda u: u.key)
    by_name, by_key = users[: LIST_FROM - 200], users[LIST_FROM - 200 : LIST_FROM]
    absent = {f"nobody.{n}" for n in range(300)}
    return StateQuery(
        usernames=frozenset(u.name.upper() for u in by_name) | absent,
        user_keys=frozenset(u.key for u in by_key) | {"JIRAUSER99999999"},
        member_of=frozenset(u.name for u in users[:5]) if member_of else frozenset(),
    )


async def test_many_lookups_are_answered_by_the_listing_as_one_by_one_would(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    listed = jira_sandbox(users=USERS, version=10, seed=3)
    looked_up = jira_sandbox(users=USERS, version=9, seed=3)  # no /user/list: one GET /user each
    query = _query(listed)
    assert _query(looked_up) == query  # the same generated users

    target, baseline = connect(listed), connect(looked_up)
    state = await target.read_state(query, NO_PROGRESS)
    expected = await baseline.read_state(query, NO_PROGRESS)
    await target.aclose()
    await baseline.aclose()

    assert state.users == expected.users
    assert len(state.users) == LIST_FROM  # every existing one found, every absent one proven absent
    assert target.requests["GET /rest/api/2/user/list"] == 1  # 1,601 users: one page of 2,000
    assert target.requests["GET /rest/api/2/user"] == 0
    assert baseline.requests["GET /rest/api/2/user/list"] == 1  # answered 404 by Jira 9
    assert baseline.requests["GET /rest/api/2/user"] == len(query.usernames) + len(query.user_keys)


async def test_users_whose_groups_are_needed_are_read_again_with_them(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=USERS, version=10, seed=3)
    state = jira.sandbox.state
    first = sorted(state.users.values(), key=lambda u: u.key)[0]
    state.add_member(state.groups["jira-administrators"], first)
    query = _query(jira, member_of=True)
    target = connect(jira)
    read = await target.read_state(query, NO_PROGRESS)
    await target.aclose()

    assert read.users[first.key].groups is not None
    assert "jira-administrators" in (read.users[first.key].groups or ())
    # expand=groups is asked of everyone found (as one by one), after the listing proved the rest absent
    assert target.requests["GET /rest/api/2/user/list"] == 1
    assert target.requests["GET /rest/api/2/user"] == LIST_FROM


async def test_the_listing_is_paged_to_its_end_and_stops_when_the_directory_dwarfs_the_lookups(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=40, version=10)
    target = connect(jira)
    whole = await read_directory(target.http, 10, list_from=1, ratio=100, page_size=7)
    assert whole is not None
    assert set(whole.by_key) == set(jira.sandbox.state.users)  # 41 users over 6 pages
    assert target.requests["GET /rest/api/2/user/list"] == 6

    target.requests.clear()
    assert await read_directory(target.http, 2, list_from=1, ratio=10, page_size=7) is None
    assert target.requests["GET /rest/api/2/user/list"] == 3  # 21 users read > 10 per lookup: stop
    assert await read_directory(target.http, 5, list_from=6) is None  # too few lookups: no request
    assert target.requests["GET /rest/api/2/user/list"] == 3
    await target.aclose()
