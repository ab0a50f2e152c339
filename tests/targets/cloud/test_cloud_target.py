"""The Atlassian Cloud target against the Cloud SCIM emulator over real HTTP: Atlassian's documented
behaviour (one-`eq` filters, string statuses, verified e-mail domains, 409 on an existing account,
deactivate vs delete, no group rename, the directory limits) as the generic SCIM target plus its
flavour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from idsync.config.connections import AtlassianCloudConnection
from idsync.domain.errors import BadRequestError, ConflictError, NotFoundError, StopSyncError, TransientError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.targets.cloud import CLOUD_CAPABILITIES, cloud_target
from idsync.targets.scim.target import ScimTarget
from tests.fixtures.cloud import CloudFactory, RunningCloud

REASON = Reason("test", "built by hand")


def connect(cloud: RunningCloud, **extra: Any) -> ScimTarget:
    fields: dict[str, Any] = {"type": "atlassian_cloud", "url": cloud.url, "token": cloud.token, **extra}
    return cloud_target("cloud", AtlassianCloudConnection.model_validate(fields))


def item(action: Action, user: str | None = None, group: str | None = None, *changes: Change,
         key: str | None = None, source_id: str | None = None) -> PlanItem:
    return PlanItem(action, "cloud", REASON, user=user, user_key=key, group=group, changes=changes,
                    source_id=source_id)


def create(username: str, email: str, display: str, source_id: str) -> PlanItem:
    return item(Action.CREATE_USER, username, None, Change("email", None, email),
                Change("display_name", None, display), source_id=source_id)


@pytest.fixture
def cloud(cloud_sandbox: CloudFactory) -> RunningCloud:
    return cloud_sandbox(users=0)


@pytest.fixture
async def target(cloud: RunningCloud) -> AsyncIterator[ScimTarget]:
    target = connect(cloud)
    yield target
    await target.aclose()


def test_capabilities_follow_atlassians_documents() -> None:
    caps = CLOUD_CAPABILITIES
    assert (caps.group_rename, caps.max_users, caps.max_group_members) == (False, 150_000, 35_000)
    assert caps.group_sources and caps.user_properties and caps.deactivate and caps.delete
    assert caps.requirements.email


async def test_check(cloud: RunningCloud, target: ScimTarget) -> None:
    text = await target.check()
    assert text.startswith(f"Atlassian Cloud at {cloud.url}: PATCH; filters")
    assert text.endswith("; 0 users")


async def test_a_bad_key_stops_and_is_never_echoed(cloud: RunningCloud) -> None:
    target = connect(cloud, token="wrong-key-123456")
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    assert "connection 'cloud' (Atlassian Cloud)" in str(caught.value)
    assert "wrong-key-123456" not in str(caught.value)
    await target.aclose()


async def test_user_lifecycle(cloud: RunningCloud, target: ScimTarget) -> None:
    key = await target.execute(create("jdoe@example.com", "jdoe@example.com", "John Doe", "00u1"))
    assert key
    await target.execute(item(Action.UPDATE_USER, "jdoe@example.com", None,
                              Change("display_name", "John Doe", "Johnny"), key=key))
    await target.execute(item(Action.DEACTIVATE_USER, "jdoe@example.com", None, key=key))
    state = await target.read_state(StateQuery(user_keys=frozenset({key})), NO_PROGRESS)
    user = state.users[key]
    assert (user.username, user.display_name, user.active) == ("jdoe@example.com", "Johnny", False)
    assert state.user_count == 1  # the Cloud target reports its size for the max_users guard
    await target.execute(item(Action.REACTIVATE_USER, "jdoe@example.com", None, key=key))
    state = await target.read_state(StateQuery(usernames=frozenset({"JDOE@example.com"})), NO_PROGRESS)
    assert state.users[key].active

    await target.execute(item(Action.DELETE_USER, "jdoe@example.com", key=key))
    state = await target.read_state(StateQuery(user_keys=frozenset({key})), NO_PROGRESS)
    assert state.users == {}
    with pytest.raises(NotFoundError):  # Atlassian: every later operation answers 404
        await target.execute(item(Action.DEACTIVATE_USER, "jdoe@example.com", None, key=key))


async def test_an_unverified_domain_fails_the_user_clearly_once(
    cloud: RunningCloud, target: ScimTarget
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await target.execute(create("eve@elsewhere.org", "eve@elsewhere.org", "Eve", "00uE"))
    assert "verify the domain in admin.atlassian.com" in str(caught.value)
    assert cloud.writes().get("POST /Users") == 1  # a 400 is not retried


async def test_409_links_the_existing_account(cloud: RunningCloud, target: ScimTarget) -> None:
    key = await target.execute(create("ann@example.com", "ann@example.com", "Ann", "00uA"))
    fresh = connect(cloud)
    assert await fresh.execute(create("ann@example.com", "ann@example.com", "Ann A", "00uA")) == key
    with pytest.raises(ConflictError, match="someone else's"):
        await fresh.execute(create("ann@example.com", "ann2@example.com", "Ann B", "00uB"))
    await fresh.aclose()


async def test_groups_and_batched_members(cloud: RunningCloud, target: ScimTarget) -> None:
    for i in range(4):
        await target.execute(create(f"u{i}@example.com", f"u{i}@example.com", f"User {i}", f"00u{i}"))
    await target.execute(item(Action.CREATE_GROUP, None, "eng", source_id="00g1"))
    adds = [item(Action.ADD_MEMBER, f"u{i}@example.com", "eng") for i in range(4)]
    before = cloud.writes()
    assert await target.execute_batch(adds) == [None] * 4
    patched = {k: v - before.get(k, 0) for k, v in cloud.writes().items() if v != before.get(k, 0)}
    assert list(patched.values()) == [1] and next(iter(patched)).startswith("PATCH /Groups/")
    state = await target.read_state(
        StateQuery(groups=frozenset({"eng"}), group_sources=frozenset({"00g1"})), NO_PROGRESS
    )
    assert state.groups == {"eng": frozenset(f"u{i}@example.com" for i in range(4))}
    assert state.group_sources == {"00g1": "eng"}
    assert await target.execute_batch([item(Action.REMOVE_MEMBER, "u0@example.com", "eng")]) == [None]
    rename = Change("name", "eng", "engineering")
    with pytest.raises(BadRequestError, match="cannot rename a group"):
        await target.execute(item(Action.RENAME_GROUP, None, "engineering", rename))
    await target.execute(item(Action.DELETE_GROUP, None, "eng"))
    state = await target.read_state(StateQuery(groups=frozenset({"eng"})), NO_PROGRESS)
    assert state.groups == {"eng": None}


async def test_a_site_group_name_is_taken_outside_the_directory(target: ScimTarget) -> None:
    with pytest.raises(ConflictError, match="taken outside it"):
        await target.execute(item(Action.CREATE_GROUP, None, "site-admins", source_id="00gS"))


async def test_a_failed_page_fails_the_read_never_fewer_users(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=30, read_fail_rate=1.0)
    target = connect(cloud, retries=0)
    with pytest.raises(TransientError) as caught:
        await target.read_state(StateQuery(groups=frozenset({"team-1"})), NO_PROGRESS)
    assert "connection 'cloud' (Atlassian Cloud)" in str(caught.value)
    await target.aclose()


async def test_429_is_waited_out(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=0, rate_limit=5, rate_limit_burst=2)
    target = connect(cloud)
    keys = [await target.execute(create(f"r{i}@example.com", f"r{i}@example.com", f"R {i}", f"00r{i}"))
            for i in range(6)]
    assert all(keys) and len(set(keys)) == 6
    assert target.http.rate_limited > 0  # the directory said 429 and every create still landed
    await target.aclose()
