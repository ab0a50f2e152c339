"""ConfluenceTarget against the Confluence emulator over real HTTP: check() and the version matrix,
reads that match the emulator's state, every action leaving its mark in it, and errors arriving as the
right idsync error types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from idsync.config.connections import ConfluenceConnection
from idsync.domain.errors import BadRequestError, ConflictError, StopSyncError, TransientError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.sandbox.common.faults import FaultRule
from idsync.targets.confluence import CONFLUENCE_CAPABILITIES, ConfluenceTarget
from tests.fixtures.confluence import ConfluenceFactory, RunningConfluence

REASON = Reason("test", "built by hand")


def connect(confluence: RunningConfluence, task_timeout: float = 30.0, **extra: Any) -> ConfluenceTarget:
    """A ConfluenceTarget for a running emulator, with the admin's PAT unless `extra` says otherwise."""
    fields: dict[str, Any] = {"type": "confluence", "url": confluence.url, "token": confluence.token}
    fields.update(extra)
    return ConfluenceTarget(
        "confluence", ConfluenceConnection.model_validate(fields), task_timeout=task_timeout
    )


def item(action: Action, user: str | None = None, group: str | None = None, **changes: Any) -> PlanItem:
    """A plan item as the diff would make it."""
    return PlanItem(action, "confluence", REASON, user=user, group=group,
                    changes=tuple(Change(k, None, v) for k, v in changes.items()))  # fmt: skip


@pytest.fixture
def confluence(confluence_sandbox: ConfluenceFactory) -> RunningConfluence:
    return confluence_sandbox(users=40, seed=7)


@pytest.fixture
async def target(confluence: RunningConfluence) -> AsyncIterator[ConfluenceTarget]:
    target = connect(confluence)
    yield target
    await target.aclose()


def test_capabilities_are_what_confluence_allows() -> None:
    caps = CONFLUENCE_CAPABILITIES
    assert (caps.user_properties, caps.rename, caps.leads, caps.licence_groups) == (
        False,
        False,
        False,
        False,
    )
    assert caps.deactivate and caps.delete


async def test_check_names_version_and_user(confluence: RunningConfluence, target: ConfluenceTarget) -> None:
    assert await target.check() == f"Confluence 8.5.4 at {confluence.url}: authenticated as admin"


async def test_basic_auth_works(confluence: RunningConfluence) -> None:
    target = connect(confluence, token=None, username=confluence.username, password=confluence.password)
    assert (await target.check()).endswith("authenticated as admin")
    await target.aclose()


async def test_bad_token_stops_and_never_echoes_it(confluence: RunningConfluence) -> None:
    target = connect(confluence, token="not-the-token-xyz")
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    await target.aclose()
    assert "not-the-token-xyz" not in str(caught.value)
    assert "authentication failed" in str(caught.value)


@pytest.mark.parametrize(("version", "full"), [("8.2", "8.2.3"), ("7.19", "7.19.26")])
async def test_check_refuses_a_release_without_the_endpoints(
    confluence_sandbox: ConfluenceFactory, version: str, full: str
) -> None:
    target = connect(confluence_sandbox(version=version))
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    await target.aclose()
    message = str(caught.value)
    assert f"Confluence {full}" in message
    assert "POST /rest/api/admin/user (create users, Confluence 8.4 and later)" in message
    assert ("PUT /rest/api/admin/user/{username}/disable" in message) is (version == "7.19")


async def test_8_4_is_enough(confluence_sandbox: ConfluenceFactory) -> None:
    target = connect(confluence_sandbox(version="8.4"))
    assert (await target.check()).startswith("Confluence 8.4.5 at ")
    await target.aclose()


async def test_on_8_2_reads_work_but_email_lookup_and_creation_stop(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox(users=5, version="8.2")
    target = connect(confluence)
    read = await target.read_state(StateQuery(usernames=frozenset({"admin"})), NO_PROGRESS)
    assert [u.username for u in read.users.values()] == ["admin"]
    with pytest.raises(StopSyncError, match=r"8\.2\.3.*GET /rest/api/user/list"):
        await target.read_state(StateQuery(emails=frozenset({"a@example.com"})), NO_PROGRESS)
    with pytest.raises(StopSyncError, match=r"8\.2\.3.*POST /rest/api/admin/user"):
        await target.execute(item(Action.CREATE_USER, "new.person", email="n@example.com"))
    someone = next(u.name for u in confluence.sandbox.state.users.values() if u.name != "admin")
    await target.execute(item(Action.DEACTIVATE_USER, someone))
    await target.aclose()
    assert confluence.writes() == {"PUT /rest/api/admin/user/{username}/disable": 1}


async def test_read_state_matches_the_emulator(
    confluence: RunningConfluence, target: ConfluenceTarget
) -> None:
    state = confluence.sandbox.state
    users = sorted(state.users.values(), key=lambda u: u.key)
    by_key, by_name, by_email = users[1:6], users[6:10], users[10:13]
    by_key[0].active = False  # a disabled user is read as inactive
    query = StateQuery(
        user_keys=frozenset(u.key for u in by_key) | {"8a7f808a8c1b2e3dffffffffffffffff"},
        usernames=frozenset(u.name.upper() for u in by_name) | {"no.such.user"},
        emails=frozenset(u.email.upper() for u in by_email) | {"nobody@example.invalid"},
        groups=frozenset(g.name for g in state.groups.values()) | {"no-such-group"},
        property_keys=frozenset({"department"}),
    )
    read = await target.read_state(query, NO_PROGRESS)

    assert set(read.users) == {u.key for u in [*by_key, *by_name, *by_email]}
    assert read.users[by_key[0].key].active is False
    for key, user in read.users.items():
        real = state.users[key]
        assert (user.username, user.email, user.display_name, user.active) == (
            real.name, real.email, real.display_name, real.active,
        )  # fmt: skip
        assert user.properties == {}
    for group in state.groups.values():
        assert read.groups[group.name] == frozenset(state.users[k].name for k in group.members)
    assert read.groups["no-such-group"] is None


async def test_members_are_paged_by_links_next(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=230, seed=3)
    target = connect(confluence, page_size=50)
    read = await target.read_state(StateQuery(groups=frozenset({"confluence-users"})), NO_PROGRESS)
    await target.aclose()
    assert read.groups["confluence-users"] == frozenset(
        u.name for u in confluence.sandbox.state.users.values()
    )
    assert target.requests["GET /rest/api/group/{name}/member"] == 5  # 231 members in pages of 50


async def test_a_failed_member_page_fails_the_read(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=120, seed=3)
    confluence.sandbox.control.faults.rules = [
        FaultRule("/rest/api/group/confluence-users/member", skip=1, count=100, status=500)
    ]
    target = connect(confluence, page_size=50, retries=1)
    with pytest.raises(TransientError, match=r"^Confluence connection 'confluence': GET .* → 500"):
        await target.read_state(StateQuery(groups=frozenset({"confluence-users"})), NO_PROGRESS)
    await target.aclose()


async def test_user_lifecycle(confluence: RunningConfluence, target: ConfluenceTarget) -> None:
    state = confluence.sandbox.state
    key = await target.execute(
        item(Action.CREATE_USER, "New.Person", email="np@example.com", display_name="N P")
    )
    user = state.user_by_name("new.person")
    assert user is not None and key == user.key
    assert (user.email, user.display_name, user.active) == ("np@example.com", "N P", True)
    assert (
        await target.execute(PlanItem(Action.LINK_USER, "confluence", REASON, user="x", user_key="k")) == "k"
    )
    await target.execute(
        item(Action.UPDATE_USER, "new.person", display_name="Nora P", email="nora@example.com")
    )
    assert (user.display_name, user.email) == ("Nora P", "nora@example.com")
    reads = target.requests["GET /rest/api/user"]
    await target.execute(item(Action.UPDATE_USER, "new.person", display_name="Nora Q"))
    assert (user.display_name, user.email) == ("Nora Q", "nora@example.com")
    assert target.requests["GET /rest/api/user"] == reads + 1  # the unchanged email is read and sent back
    for _ in range(2):
        await target.execute(item(Action.DEACTIVATE_USER, "new.person"))
    assert user.active is False
    await target.execute(item(Action.REACTIVATE_USER, "new.person"))
    assert user.active is True
    with pytest.raises(ConflictError):
        await target.execute(item(Action.CREATE_USER, "new.person", email="np@example.com"))


async def test_groups_and_memberships_are_idempotent(
    confluence: RunningConfluence, target: ConfluenceTarget
) -> None:
    state = confluence.sandbox.state
    someone = next(u for u in state.users.values() if u.name != "admin")
    for _ in range(2):
        await target.execute(item(Action.CREATE_GROUP, group="team new"))
        await target.execute(item(Action.ADD_MEMBER, someone.name, "team new"))
    assert state.groups["team new"].members == {someone.key}
    for _ in range(2):
        await target.execute(item(Action.REMOVE_MEMBER, someone.name, "team new"))
    assert state.groups["team new"].members == set()


async def test_delete_waits_for_the_long_task(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=5, delete_task_seconds=0.3)
    target = connect(confluence)
    victim = next(u.name for u in confluence.sandbox.state.users.values() if u.name != "admin")
    await target.execute(item(Action.DELETE_USER, victim))
    assert confluence.sandbox.state.user_by_name(victim) is None
    assert target.requests["GET /rest/api/longtask/{id}"] >= 2
    await target.execute(item(Action.DELETE_USER, victim))  # already gone: the goal is reached
    await target.aclose()


async def test_a_failed_delete_task_is_a_failed_item_with_its_message(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox(users=5, delete_task_seconds=0)
    victim = next(u.name for u in confluence.sandbox.state.users.values() if u.name != "admin")
    confluence.sandbox.options.failing_deletes.add(victim)
    target = connect(confluence)
    with pytest.raises(BadRequestError, match=f"delete_user of {victim}: .*could not be removed"):
        await target.execute(item(Action.DELETE_USER, victim))
    await target.aclose()
    assert confluence.sandbox.state.user_by_name(victim) is not None


async def test_a_delete_task_outliving_the_wait_is_transient(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=5, delete_task_seconds=600)
    victim = next(u.name for u in confluence.sandbox.state.users.values() if u.name != "admin")
    target = connect(confluence, task_timeout=0.3)
    with pytest.raises(TransientError, match=r"still 50% done after 0\.3 s"):
        await target.execute(item(Action.DELETE_USER, victim))
    await target.aclose()


async def test_creation_past_the_licence_is_a_clear_bad_request_never_retried(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox(users=0, licensed_users=1)
    target = connect(confluence)
    with pytest.raises(BadRequestError) as caught:
        await target.execute(item(Action.CREATE_USER, "one.more", email="o@example.com"))
    await target.aclose()
    assert caught.value.status == 402
    assert "no licence seat left" in str(caught.value)
    assert target.requests["POST /rest/api/admin/user"] == 1
    assert confluence.sandbox.state.user_by_name("one.more") is None


@pytest.mark.parametrize(
    "action",
    [Action.RENAME_USER, Action.SET_USER_PROPERTY, Action.HAND_OVER_LEAD, Action.REVOKE_LICENCE,
     Action.RESTORE_LICENCE],
)  # fmt: skip
async def test_actions_confluence_cannot_do_are_refused_by_name(
    target: ConfluenceTarget, action: Action
) -> None:
    with pytest.raises(BadRequestError, match=str(action)):
        await target.execute(item(action, "admin", "confluence-users"))


async def test_injected_429s_are_waited_out(confluence: RunningConfluence, target: ConfluenceTarget) -> None:
    confluence.sandbox.control.faults.rules = [FaultRule("/rest/api/user", count=2, status=429)]
    read = await target.read_state(StateQuery(usernames=frozenset({"admin"})), NO_PROGRESS)
    assert [u.username for u in read.users.values()] == ["admin"]
    assert target.http.rate_limited == 2
