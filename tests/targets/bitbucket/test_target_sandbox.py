"""BitbucketTarget against the Bitbucket emulator over real HTTP: reads match the emulator's state
(users with their licences, group members), every action leaves its mark in it, the licence limit fails
one item only, and errors arrive as the right idsync error types naming the connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from idsync.config.connections import BitbucketConnection
from idsync.domain.errors import BadRequestError, ConflictError, StopSyncError, TransientError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.targets.bitbucket import BitbucketTarget
from tests.fixtures.bitbucket import BitbucketFactory, RunningBitbucket

REASON = Reason("test", "built by hand")


def connect(bb: RunningBitbucket, **extra: Any) -> BitbucketTarget:
    """A BitbucketTarget for a running emulator, with the admin's token unless `extra` says otherwise."""
    fields: dict[str, Any] = {"type": "bitbucket", "url": bb.url, "token": bb.token}
    fields.update(extra)
    return BitbucketTarget("bb", BitbucketConnection.model_validate(fields))


def item(
    action: Action,
    user: str | None = None,
    group: str | None = None,
    *changes: Change,
    key: str | None = None,
) -> PlanItem:
    return PlanItem(action, "bb", REASON, user=user, user_key=key, group=group, changes=changes)


@pytest.fixture
def bb(bitbucket_sandbox: BitbucketFactory) -> RunningBitbucket:
    return bitbucket_sandbox(users=60, seed=7)


@pytest.fixture
async def target(bb: RunningBitbucket) -> AsyncIterator[BitbucketTarget]:
    target = connect(bb)
    yield target
    await target.aclose()


async def test_check_names_version_user_and_licence(bitbucket_sandbox: BitbucketFactory) -> None:
    unlimited, limited = bitbucket_sandbox(), bitbucket_sandbox(licensed_users=25, version="10.4.1")
    for bb, licence in ((unlimited, "unlimited users"), (limited, "25 users")):
        target = connect(bb)
        text = await target.check()
        await target.aclose()
        version = bb.sandbox.options.version
        assert text == f"Bitbucket {version} at {bb.url}: authenticated as admin (licence: {licence})"


async def test_basic_auth_works(bb: RunningBitbucket) -> None:
    target = connect(bb, token=None, username=bb.username, password=bb.password)
    assert "authenticated as admin" in await target.check()
    await target.aclose()


async def test_bad_token_stops_names_the_connection_and_never_echoes_it(bb: RunningBitbucket) -> None:
    target = connect(bb, token="not-the-token-xyz")
    with pytest.raises(StopSyncError) as checked:
        await target.check()
    with pytest.raises(StopSyncError) as read:
        await target.read_state(StateQuery(usernames=frozenset({"admin"})), NO_PROGRESS)
    await target.aclose()
    for caught in (checked, read):
        assert "not-the-token-xyz" not in str(caught.value)
        assert "connection 'bb'" in str(caught.value)
        assert "Authentication failed" in str(caught.value)


async def test_read_state_matches_the_emulator(bb: RunningBitbucket, target: BitbucketTarget) -> None:
    state = bb.sandbox.state
    unlicensed = state.add_user("no.seat", "No Seat", "no.seat@example.com", state.users[1].created)
    users = sorted(state.users.values(), key=lambda u: u.id)
    direct = next(u for u in users[1:] if u is not unlicensed and "stash-users" in u.groups)
    state.remove_member(state.group("stash-users"), direct)
    state.user_permissions[direct.id] = "PROJECT_CREATE"  # a seat without any licence group
    admin_member = users[3]
    state.add_member(state.group("bitbucket-administrators"), admin_member)
    by_key = [users[1], users[2], unlicensed, direct, admin_member]
    by_name, by_email = users[10:14], users[14:17]
    query = StateQuery(
        user_keys=frozenset(str(u.id) for u in by_key) | {"99999"},
        usernames=frozenset(u.name.upper() for u in by_name) | {"no.such.user"},
        emails=frozenset(u.email.upper() for u in by_email) | {"nobody@example.invalid"},
        groups=frozenset({"stash-users", "Team-Atlas-1", "no-such-group"}),
    )
    read = await target.read_state(query, NO_PROGRESS)

    assert set(read.users) == {str(u.id) for u in [*by_key, *by_name, *by_email]}
    for user in [*by_key, *by_name, *by_email]:
        got = read.users[str(user.id)]
        assert got.username == user.name.lower()
        assert got.email == user.email and got.display_name == user.display_name
        assert got.active is state.is_licensed(user)
        expected = {g for g in user.groups if g in state.group_permissions}
        assert got.licence_groups == expected
    assert read.users[str(unlicensed.id)].active is False
    assert read.users[str(unlicensed.id)].licence_groups == frozenset()
    assert read.users[str(direct.id)].active is True, "a direct permission is a seat"
    assert read.users[str(direct.id)].licence_groups == frozenset()
    assert "bitbucket-administrators" in read.users[str(admin_member.id)].licence_groups
    members = {state.users[uid].name.lower() for uid in state.group("stash-users").members}
    assert read.groups["stash-users"] == members
    assert read.groups["Team-Atlas-1"] == {
        state.users[uid].name.lower() for uid in state.group("team-atlas-1").members
    }
    assert read.groups["no-such-group"] is None


async def test_lookups_without_keys_are_filtered_searches(
    bb: RunningBitbucket, target: BitbucketTarget
) -> None:
    # "john.smith" is a substring of "john.smith2": only the exact name may come back
    state = bb.sandbox.state
    state.add_user("ann.lee", "Ann", "ann@example.com", state.users[1].created)
    state.add_user("ann.lee2", "Ann Two", "ann2@example.com", state.users[1].created)
    read = await target.read_state(StateQuery(usernames=frozenset({"Ann.Lee"})), NO_PROGRESS)
    assert [u.username for u in read.users.values()] == ["ann.lee"]
    assert target.requests["GET /rest/api/1.0/admin/users"] == 1


async def test_group_members_are_paged_to_the_end(bitbucket_sandbox: BitbucketFactory) -> None:
    bb = bitbucket_sandbox(users=130, seed=3, max_page_size=10)
    target = connect(bb, page_size=50)
    read = await target.read_state(StateQuery(groups=frozenset({"stash-users"})), NO_PROGRESS)
    await target.aclose()
    assert len(read.groups["stash-users"] or ()) == len(bb.sandbox.state.group("stash-users").members) > 100


async def test_every_action_changes_the_emulator(bb: RunningBitbucket, target: BitbucketTarget) -> None:
    state = bb.sandbox.state
    email, shown = Change("email", None, "np@example.com"), Change("display_name", None, "New Person")
    key = await target.execute(item(Action.CREATE_USER, "New.Person", None, email, shown))
    created = state.user_by_name("new.person")
    assert created is not None and key == str(created.id)
    assert created.groups == set(), "created without the default group: the plan gives the groups"
    assert created.password, "a random password is set"
    assert await target.execute(item(Action.LINK_USER, "new.person", key=key)) == key

    shown = Change("display_name", "New Person", "N. P.")
    email = Change("email", "np@example.com", "np2@example.com")
    await target.execute(item(Action.UPDATE_USER, "New.Person", None, shown, email, key=key))
    assert (created.display_name, created.email) == ("N. P.", "np2@example.com")

    await target.execute(
        item(Action.RENAME_USER, "new.person", None, Change("username", "new.person", "np"), key=key)
    )
    assert state.user_by_name("np") is created and created.id == int(key)

    for _ in range(2):
        await target.execute(item(Action.CREATE_GROUP, None, "Team-New"))
    await target.execute(item(Action.ADD_MEMBER, "np", "team-new", key=key))
    await target.execute(item(Action.ADD_MEMBER, "np", "team-new", key=key))
    await target.execute(item(Action.RESTORE_LICENCE, "np", "stash-users", key=key))
    assert created.groups == {"team-new", "stash-users"} and state.is_licensed(created)

    await target.execute(item(Action.REVOKE_LICENCE, "np", "stash-users", key=key))
    assert created.groups == {"team-new"} and not state.is_licensed(created)
    await target.execute(item(Action.REMOVE_MEMBER, "np", "team-new", key=key))
    await target.execute(item(Action.REMOVE_MEMBER, "np", "team-new", key=key))
    await target.execute(item(Action.REMOVE_MEMBER, "np", "gone-group", key=key))
    assert created.groups == set()

    await target.execute(item(Action.DELETE_USER, "np", key=key))
    await target.execute(item(Action.DELETE_USER, "np", key=key))
    assert state.user_by_name("np") is None


@pytest.mark.parametrize("action", [Action.DEACTIVATE_USER, Action.REACTIVATE_USER])
async def test_deactivation_is_refused_with_the_reason(
    bb: RunningBitbucket, target: BitbucketTarget, action: Action
) -> None:
    name = next(u.name for u in bb.sandbox.state.users.values() if u.id > 1)
    with pytest.raises(BadRequestError, match="no deactivate"):
        await target.execute(item(action, name))
    with pytest.raises(BadRequestError, match="set_user_property"):
        await target.execute(item(Action.SET_USER_PROPERTY, name, None, Change("dept", None, "x")))
    assert bb.writes() == {}


async def test_existing_username_is_a_conflict(bb: RunningBitbucket, target: BitbucketTarget) -> None:
    existing = bb.sandbox.state.users[2].name.upper()
    with pytest.raises(ConflictError):
        await target.execute(item(Action.CREATE_USER, existing, None, Change("email", None, "x@example.com")))
    with pytest.raises(BadRequestError, match="email"):
        await target.execute(item(Action.CREATE_USER, "no.email"))


async def test_the_licence_limit_fails_the_item_once_and_is_not_retried(
    bitbucket_sandbox: BitbucketFactory,
) -> None:
    bb = bitbucket_sandbox(users=0, licensed_users=2)
    target = connect(bb)
    for name in ("ann", "bob"):
        await target.execute(
            item(Action.CREATE_USER, name, None, Change("email", None, f"{name}@example.com"))
        )
    await target.execute(item(Action.ADD_MEMBER, "ann", "stash-users"))
    bb.sandbox.control.middleware.requests.clear()  # type: ignore[union-attr]
    for action in (Action.ADD_MEMBER, Action.RESTORE_LICENCE):
        with pytest.raises(BadRequestError, match="licensed-user limit") as caught:
            await target.execute(item(action, "bob", "stash-users"))
        assert caught.value.status == 403
    await target.aclose()
    assert bb.writes() == {"POST /rest/api/1.0/admin/users/add-groups": 2}, "one request per item, no retry"
    assert not bb.sandbox.state.is_licensed(bb.sandbox.state.user_by_name("bob"))


async def test_a_403_that_is_not_the_licence_stops_the_target(bitbucket_sandbox: BitbucketFactory) -> None:
    bb = bitbucket_sandbox(users=0, extra_tokens={"adm-token": "helper"})
    state = bb.sandbox.state
    helper = state.add_user("helper", "Helper", "h@example.com", state.users[1].created)
    state.add_member(state.group("bitbucket-administrators"), helper)  # ADMIN, not SYS_ADMIN
    state.group_permissions[state.add_group("sysadmins").name.lower()] = "SYS_ADMIN"
    target = connect(bb, token="adm-token")
    with pytest.raises(StopSyncError):
        await target.execute(item(Action.ADD_MEMBER, "helper", "sysadmins"))
    await target.aclose()


async def test_a_failed_page_fails_the_read_and_names_the_connection(
    bitbucket_sandbox: BitbucketFactory,
) -> None:
    bb = bitbucket_sandbox(users=80, seed=5)
    rule = {"path": "/rest/api/1.0/admin/groups/more-members", "skip": 1, "count": 100, "status": 500}
    bb.sandbox.control.faults.update({"rules": [rule]})
    target = connect(bb, retries=1, page_size=20)
    with pytest.raises(TransientError, match="connection 'bb'"):
        await target.read_state(StateQuery(groups=frozenset({"stash-users"})), NO_PROGRESS)
    await target.aclose()
