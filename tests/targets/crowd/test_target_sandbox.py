"""CrowdTarget against the Crowd emulator over real HTTP: reads match the emulator's state and use
the batch endpoints, every action leaves its mark in it, idempotent outcomes succeed, and errors
arrive as the right idsync error types without any secret in them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from idsync.config.connections import CrowdConnection
from idsync.domain.errors import BadRequestError, ConflictError, ConnectorError, NotFoundError, StopSyncError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.targets.crowd import CrowdTarget
from tests.fixtures.crowd import API, CrowdFactory, RunningCrowd

REASON = Reason("test", "built by hand")


def connect(crowd: RunningCrowd, page_size: int = 1000, **extra: Any) -> CrowdTarget:
    """A CrowdTarget for a running emulator, as its application unless `extra` says otherwise."""
    fields: dict[str, Any] = {"type": "crowd", "url": crowd.url, "application": crowd.application,
                              "password": crowd.password, "retries": 0}  # fmt: skip
    fields.update(extra)
    return CrowdTarget("crowd", CrowdConnection.model_validate(fields), page_size=page_size)


def item(action: Action, **fields: Any) -> PlanItem:
    return PlanItem(action, "crowd", REASON, **fields)


@pytest.fixture
def crowd(crowd_sandbox: CrowdFactory) -> RunningCrowd:
    return crowd_sandbox(users=60, seed=7)


@pytest.fixture
async def target(crowd: RunningCrowd) -> AsyncIterator[CrowdTarget]:
    target = connect(crowd)
    yield target
    await target.aclose()


async def test_check_names_the_application(crowd: RunningCrowd, target: CrowdTarget) -> None:
    assert await target.check() == f"Crowd at {crowd.url}: authenticated as application {crowd.application}"


async def test_bad_password_stops_and_never_echoes_it(crowd: RunningCrowd) -> None:
    target = connect(crowd, password="not-the-password-xyz")
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    await target.aclose()
    assert "not-the-password-xyz" not in str(caught.value)
    assert "401" in str(caught.value)


async def test_read_state_matches_the_emulator(crowd: RunningCrowd, target: CrowdTarget) -> None:
    state = crowd.sandbox.state
    users = sorted(state.users.values(), key=lambda u: u.key)
    by_key, by_name, by_email = users[1:6], users[6:10], users[10:13]
    by_key[0].attributes["department"] = ["R&D"]
    by_name[0].attributes["department"] = ["Sales"]
    by_key[1].attributes["department"] = ["a", "b"]
    groups = sorted(g.name for g in state.groups.values())
    query = StateQuery(
        user_keys=frozenset(u.key for u in by_key) | {"32769:no-such-key"},
        usernames=frozenset(u.name.upper() for u in by_name) | {"no.such.user"},
        emails=frozenset(u.email.upper() for u in by_email) | {"nobody@example.invalid"},
        groups=frozenset(groups) | {"no-such-group"},
        property_keys=frozenset({"department"}),
    )
    read = await target.read_state(query, NO_PROGRESS)

    assert set(read.users) == {u.key for u in [*by_key, *by_name, *by_email]}
    for key, user in read.users.items():
        real = state.users[key]
        assert (user.username, user.email, user.display_name, user.active) == (
            real.name, real.email, real.display_name, real.active,
        )  # fmt: skip
    assert read.users[by_key[0].key].properties == {"department": "R&D"}
    assert read.users[by_name[0].key].properties == {"department": "Sales"}
    assert read.users[by_key[1].key].properties == {"department": '["a", "b"]'}
    assert read.users[by_email[0].key].properties == {"department": None}
    for group in state.groups.values():
        assert read.groups[group.name] == frozenset(state.users[k].name.lower() for k in group.members)
    assert read.groups["no-such-group"] is None
    # batching: 4 usernames in one search, 3 emails in another; one GET per key
    assert target.requests["GET /rest/usermanagement/1/search"] == 2
    assert target.requests["GET /rest/usermanagement/1/user"] == len(by_key) + 1


async def test_usernames_with_quotes_are_looked_up_alone(crowd: RunningCrowd, target: CrowdTarget) -> None:
    with crowd.client() as client:
        client.post("/user", json={"name": 'o"neil', "password": {"value": "x"}, "display-name": "O N"})
    read = await target.read_state(StateQuery(usernames=frozenset({'O"NEIL', "admin"})), NO_PROGRESS)
    assert {u.username for u in read.users.values()} == {'o"neil', "admin"}


async def test_group_members_are_paged_to_the_end(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(users=200, seed=3)
    target = connect(crowd, page_size=10)
    big = max(crowd.sandbox.state.groups.values(), key=lambda g: len(g.members))
    assert len(big.members) > 20
    read = await target.read_state(StateQuery(groups=frozenset({big.name})), NO_PROGRESS)
    await target.aclose()
    assert read.groups[big.name] == frozenset(crowd.sandbox.state.users[k].name.lower() for k in big.members)
    assert target.requests["GET /rest/usermanagement/1/group/user/direct"] == len(big.members) // 10 + 1


async def test_a_failed_member_page_fails_the_read(crowd: RunningCrowd, target: CrowdTarget) -> None:
    crowd.sandbox.control.faults.update(
        {"rules": [{"path": f"{API}/group/user/direct", "method": "GET", "count": 100, "status": 500}]}
    )
    with pytest.raises(ConnectorError):
        await target.read_state(StateQuery(groups=frozenset({"crowd-administrators"})), NO_PROGRESS)


async def test_a_404_without_a_crowd_body_is_not_absence(crowd: RunningCrowd) -> None:
    target = connect(crowd, url=crowd.url + "/crowd")  # wrong context path: Jersey's bare 404
    with pytest.raises(NotFoundError) as caught:
        await target.read_state(StateQuery(user_keys=frozenset({"32769:x"})), NO_PROGRESS)
    await target.aclose()
    assert "context path" in str(caught.value)


async def test_the_user_lifecycle(crowd: RunningCrowd, target: CrowdTarget) -> None:
    state = crowd.sandbox.state
    changes = (Change("email", None, "new.person@example.com"), Change("display_name", None, "New Person"))
    key = await target.execute(item(Action.CREATE_USER, user="new.person", changes=changes))
    assert key is not None and key.startswith("32769:")
    created = state.users[key]
    assert (created.first_name, created.last_name, created.display_name) == ("New", "Person", "New Person")
    assert created.password and len(created.password) == 32
    await target.execute(item(Action.SET_USER_PROPERTY, user="new.person", user_key=key,
                              changes=(Change("department", None, "R&D"),)))  # fmt: skip
    assert created.attributes == {"department": ["R&D"]}
    renamed = Change("display_name", "New Person", "Renée Person-Smith")
    await target.execute(item(Action.UPDATE_USER, user="new.person", user_key=key, changes=(renamed,)))
    assert (created.first_name, created.last_name) == ("Renée", "Person-Smith")
    assert created.email == "new.person@example.com"  # the full-replace PUT resent it
    await target.execute(item(Action.RENAME_USER, user="new.person", user_key=key,
                              changes=(Change("username", "new.person", "renee.smith"),)))  # fmt: skip
    assert created.name == "renee.smith" and state.users[key] is created
    await target.execute(item(Action.DEACTIVATE_USER, user="renee.smith", user_key=key))
    assert created.active is False and created.attributes == {"department": ["R&D"]}
    await target.execute(item(Action.REACTIVATE_USER, user="renee.smith", user_key=key))
    assert created.active is True
    await target.execute(item(Action.SET_USER_PROPERTY, user="renee.smith", user_key=key,
                              changes=(Change("department", "R&D", None),)))  # fmt: skip
    assert created.attributes == {}
    assert await target.execute(item(Action.LINK_USER, user="renee.smith", user_key=key)) == key
    await target.execute(item(Action.DELETE_USER, user="renee.smith", user_key=key))
    assert key not in state.users
    await target.execute(item(Action.DELETE_USER, user="renee.smith", user_key=key))  # gone: a success


async def test_creating_an_existing_user_is_a_conflict(target: CrowdTarget) -> None:
    with pytest.raises(ConflictError):
        await target.execute(item(Action.CREATE_USER, user="ADMIN"))


async def test_groups_and_memberships_are_idempotent(crowd: RunningCrowd, target: CrowdTarget) -> None:
    state = crowd.sandbox.state
    for _ in range(2):
        await target.execute(item(Action.CREATE_GROUP, group="Platform"))
        await target.execute(item(Action.ADD_MEMBER, group="platform", user="ADMIN"))
    assert state.users[state.by_name["admin"]].groups >= {"platform"}
    for _ in range(2):
        await target.execute(item(Action.REMOVE_MEMBER, group="platform", user="admin"))
    assert "platform" not in state.users[state.by_name["admin"]].groups
    writes = crowd.writes()
    assert writes["POST /rest/usermanagement/1/group"] == 2  # the second answered "already exists"


async def test_missing_users_and_groups_are_not_found(target: CrowdTarget) -> None:
    with pytest.raises(NotFoundError):  # Crowd answers 400 USER_NOT_FOUND here
        await target.execute(item(Action.ADD_MEMBER, group="crowd-administrators", user="ghost"))
    with pytest.raises(NotFoundError):
        await target.execute(item(Action.ADD_MEMBER, group="ghosts", user="admin"))
    with pytest.raises(NotFoundError):
        await target.execute(item(Action.DEACTIVATE_USER, user="ghost", user_key="32769:none"))
    with pytest.raises(NotFoundError):
        await target.execute(item(Action.SET_USER_PROPERTY, user="ghost", changes=(Change("d", None, None),)))


async def test_unsupported_actions_are_bad_requests(target: CrowdTarget) -> None:
    for action in (Action.HAND_OVER_LEAD, Action.REVOKE_LICENCE, Action.RESTORE_LICENCE):
        with pytest.raises(BadRequestError, match=action.value):
            await target.execute(item(action, user="admin", group="g"))


async def test_a_missing_permission_stops_the_sync(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(permissions=frozenset({"UPDATE_USER"}))
    target = connect(crowd)
    with pytest.raises(StopSyncError, match="APPLICATION_PERMISSION_DENIED"):
        await target.execute(item(Action.CREATE_GROUP, group="g"))
    await target.aclose()
