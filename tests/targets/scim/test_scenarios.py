"""ScimTarget scenario by scenario against two real SCIM servers over HTTP: scim2-server's reference
implementation and idsync's own inbound SCIM service. Every scenario runs against both; what the
target wrote is checked by reading the server back with a plain HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from idsync.config.connections import ScimConnection
from idsync.domain.errors import ConfigError, ConflictError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, StateQuery
from idsync.targets.scim.target import ScimTarget, generic_flavour
from tests.targets.scim.servers import ACME, ENTERPRISE, RunningScim, scim_server

REASON = Reason("test", "built by hand")
DEPARTMENT = f"{ENTERPRISE}:department"


@pytest.fixture(params=["reference", "reference-put", "inbox"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningScim]:
    with scim_server(request.param, tmp_path) as running:
        yield running


def connect(server: RunningScim, **extra: Any) -> ScimTarget:
    conn = ScimConnection.model_validate({"type": "scim", "url": server.url, "token": server.token, **extra})
    return ScimTarget("sc", conn, flavour=generic_flavour(conn))


@pytest.fixture
async def target(server: RunningScim) -> AsyncIterator[ScimTarget]:
    target = connect(server)
    yield target
    await target.aclose()


def item(action: Action, user: str | None = None, group: str | None = None, *changes: Change,
         key: str | None = None, source_id: str | None = None) -> PlanItem:
    return PlanItem(action, "sc", REASON, user=user, user_key=key, group=group, changes=changes,
                    source_id=source_id)


def create(username: str, email: str, display: str, source_id: str) -> PlanItem:
    return item(Action.CREATE_USER, username, None, Change("email", None, email),
                Change("display_name", None, display), source_id=source_id)


async def read_users(target: ScimTarget, *keys: str, props: frozenset[str] = frozenset()) -> dict[str, Any]:
    state = await target.read_state(StateQuery(user_keys=frozenset(keys), property_keys=props), NO_PROGRESS)
    return dict(state.users)


async def test_check_says_what_discovery_found(server: RunningScim, target: ScimTarget) -> None:
    text = await target.check()
    updates = "PUT only (no PATCH)" if server.kind == "reference-put" else "PATCH"
    assert text.startswith(f"SCIM 2.0 at {server.url}: {updates}; filters")
    assert ENTERPRISE in text and text.endswith("; 0 users")


async def test_a_custom_attribute_the_server_lacks_is_a_clear_error(server: RunningScim) -> None:
    conn = ScimConnection.model_validate({"type": "scim", "url": server.url, "token": server.token})
    target = ScimTarget("sc", conn, custom_attributes={f"{ENTERPRISE}:shoeSize"})
    with pytest.raises(ConfigError) as caught:
        await target.check()
    message = str(caught.value)
    assert f"'{ENTERPRISE}:shoeSize' is not a custom attribute" in message
    assert "valid: " in message and DEPARTMENT in message
    with pytest.raises(ConfigError, match="department"):
        await target.read_state(StateQuery(property_keys=frozenset({"department"})), NO_PROGRESS)
    await target.aclose()


async def test_create_update_status_rename_delete(server: RunningScim, target: ScimTarget) -> None:
    key = await target.execute(create("jdoe", "jdoe@example.com", "John Doe", "00u1"))
    assert key
    cost = f"{ACME}:costCenter"
    named = ACME in server.extensions  # the reference server declares a named extension of ours
    props = frozenset({DEPARTMENT, cost} if named else {DEPARTMENT})
    await target.execute(item(Action.SET_USER_PROPERTY, "jdoe", None, Change(DEPARTMENT, None, "R&D")))
    if named:
        await target.execute(item(Action.SET_USER_PROPERTY, "jdoe", None, Change(cost, None, "CC-7")))
    user = (await read_users(target, key, props=props))[key]
    expected = ("jdoe", "jdoe@example.com", "John Doe", True)
    assert (user.username, user.email, user.display_name, user.active) == expected
    assert user.properties == ({DEPARTMENT: "R&D", cost: "CC-7"} if named else {DEPARTMENT: "R&D"})
    with server.client() as http:
        raw = http.get(f"/Users/{key}").json()
    assert raw["externalId"] == "00u1" and raw[ENTERPRISE] == {"department": "R&D"}
    assert raw["emails"] == [{"value": "jdoe@example.com", "type": "work", "primary": True}]
    if named:
        assert raw[ACME] == {"costCenter": "CC-7"}

    email = Change("email", "jdoe@example.com", "john@example.com")
    await target.execute(item(Action.UPDATE_USER, "jdoe", None, email,
                              Change("display_name", "John Doe", "Johnny"), key=key))
    await target.execute(item(Action.DEACTIVATE_USER, "jdoe", None, Change("active", True, False), key=key))
    user = (await read_users(target, key))[key]
    assert (user.email, user.display_name, user.active) == ("john@example.com", "Johnny", False)
    await target.execute(item(Action.REACTIVATE_USER, "jdoe", None, Change("active", False, True), key=key))
    await target.execute(item(Action.RENAME_USER, "jdoe", None, Change("username", "jdoe", "john"), key=key))
    cleared = Change(DEPARTMENT, "R&D", None)
    await target.execute(item(Action.SET_USER_PROPERTY, "john", None, cleared, key=key))
    user = (await read_users(target, key, props=frozenset({DEPARTMENT})))[key]
    assert (user.username, user.active, user.properties) == ("john", True, {DEPARTMENT: None})

    await target.execute(item(Action.DELETE_USER, "john", key=key))
    assert await read_users(target, key) == {}
    await target.execute(item(Action.DELETE_USER, "john", key=key))  # gone already: done


async def test_groups_members_in_batches_and_rename(server: RunningScim, target: ScimTarget) -> None:
    keys = [await target.execute(create(f"u{i}", f"u{i}@x.example", f"U {i}", f"00u{i}")) for i in range(5)]
    await target.execute(item(Action.CREATE_GROUP, None, "eng", source_id="00g1"))
    adds = [item(Action.ADD_MEMBER, f"u{i}", "eng", source_id=f"00u{i}") for i in range(5)]
    assert target.batch_key(adds[0]) == target.batch_key(adds[4])
    before = target.requests.copy()
    assert await target.execute_batch(adds) == [None] * 5
    sent = target.requests - before
    if server.kind == "reference-put":  # one read and one replace of the group for five members
        assert (sent["GET /Groups/{id}"], sent["PUT /Groups/{id}"]) == (1, 1)
    else:
        assert sent["PATCH /Groups/{id}"] == 1  # one PATCH for five members
    query = StateQuery(groups=frozenset({"eng", "missing"}), group_sources=frozenset({"00g1", "00g9"}))
    state = await target.read_state(query, NO_PROGRESS)
    assert state.groups == {"eng": frozenset(f"u{i}" for i in range(5)), "missing": None}
    assert state.group_sources == {"00g1": "eng"}

    removes = [item(Action.REMOVE_MEMBER, f"u{i}", "eng", key=keys[i]) for i in (0, 1)]
    assert await target.execute_batch(removes) == [None, None]
    rename = Change("name", "eng", "engineering")
    await target.execute(item(Action.RENAME_GROUP, None, "engineering", rename))
    fresh = connect(server)  # nothing remembered: everything is read from the server
    state = await fresh.read_state(StateQuery(group_sources=frozenset({"00g1"})), NO_PROGRESS)
    assert state.group_sources == {"00g1": "engineering"}
    assert state.groups == {"engineering": frozenset({"u2", "u3", "u4"})}
    await fresh.execute(item(Action.DELETE_GROUP, None, "engineering"))
    state = await fresh.read_state(StateQuery(groups=frozenset({"engineering"})), NO_PROGRESS)
    assert state.groups == {"engineering": None}
    await fresh.aclose()


async def test_409_links_the_same_person_and_refuses_someone_else(
    server: RunningScim, target: ScimTarget
) -> None:
    key = await target.execute(create("ann", "ann@example.com", "Ann", "00uA"))
    fresh = connect(server)
    assert await fresh.execute(create("ann", "ann@example.com", "Ann A", "00uA")) == key
    with pytest.raises(ConflictError, match="someone else's"):
        await fresh.execute(create("ann", "other@example.com", "Other Ann", "00uB"))
    await fresh.aclose()
