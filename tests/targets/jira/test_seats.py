"""JiraTarget's licence seats against the Jira emulator: one pool per application role from
/applicationrole (remaining seats, access groups, granted on creation when selected by default), each
user read with the roles its groups give; a non-admin connection leaves the seats unread; past the
last seat Jira refuses the item, which is what the guard prevents."""

from __future__ import annotations

from typing import Any

import pytest

from idsync.config.connections import JiraConnection
from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, SeatPool, StateQuery
from idsync.engine.diff_seats import seat_counts
from idsync.targets.jira.seats import ApplicationRole
from idsync.targets.jira.target import JIRA_CAPABILITIES, JiraTarget
from tests.fixtures.sandbox import RunningJira

WHY = Reason("test", "built by hand")


def _connect(jira: RunningJira, **auth: Any) -> JiraTarget:
    fields: dict[str, Any] = {"type": "jira", "url": jira.url}
    fields.update(auth or {"token": jira.token})
    return JiraTarget("jira", JiraConnection.model_validate(fields))


def _create(name: str, grants: tuple[str, ...] = ()) -> PlanItem:
    changes = (Change("email", None, f"{name}@x.io"), Change("display_name", None, name.title()))
    return PlanItem(Action.CREATE_USER, "jira", WHY, user=name, source_id=f"u-{name}", changes=changes,
                    grants=grants)


async def test_roles_become_seat_pools_and_users_carry_their_roles(jira_sandbox: Any) -> None:
    jira = jira_sandbox(licensed_users=3, service_desks=("ITH",))
    state_of = jira.sandbox.state
    target = _connect(jira)
    try:
        await target.execute(_create("ann"))
        ann = state_of.user_by_name("ann")
        state_of.remove_member(state_of.group("jira-software-users"), ann)  # unlicensed by hand
        await target.execute(_create("bob"))
        query = StateQuery(usernames=frozenset({"ann", "bob", "cid"}), seats=True)
        state = await target.read_state(query, NO_PROGRESS)
        assert state.seats == (
            SeatPool("jira-servicedesk", "Jira Service Management", None,
                     frozenset({"jira-servicedesk-users"})),
            SeatPool("jira-software", "Jira Software", 1, frozenset({"jira-software-users"}), on_create=True,
                     joined_on_create=frozenset({"jira-software-users"})),
        )
        assert {u.username: u.seats for u in state.users.values()} == {
            "ann": frozenset(), "bob": frozenset({"jira-software"})}
        items = (
            _create("cid"),
            PlanItem(Action.ADD_MEMBER, "jira", WHY, user="ann", user_key=ann.key, source_id="u-ann",
                     group="jira-software-users"),
            PlanItem(Action.ADD_MEMBER, "jira", WHY, user="bob", source_id="u-bob",
                     group="jira-servicedesk-users"),
        )
        counts = seat_counts(items, state, JIRA_CAPABILITIES)
        assert [(c.licence, c.needed, c.left, c.users) for c in counts] == [
            ("jira-servicedesk", 1, None, ("bob",)), ("jira-software", 2, 1, ("ann", "cid"))]

        await target.execute(_create("cid"))  # the last seat
        with pytest.raises(BadRequestError, match="exceed the number of allowed users"):
            await target.execute(items[1])
    finally:
        await target.aclose()


async def test_a_connection_that_may_not_read_the_roles_leaves_the_seats_unread(jira_sandbox: Any) -> None:
    jira = jira_sandbox()
    with jira.client() as http:
        http.post("/rest/api/2/user", json={"name": "ann", "password": "pw-ann", "emailAddress": "a@x.io",
                                            "displayName": "Ann"})
    target = _connect(jira, username="ann", password="pw-ann")
    try:
        state = await target.read_state(StateQuery(seats=True), NO_PROGRESS)
    finally:
        await target.aclose()
    assert state.seats == ()
    assert state.seats_unread is not None and state.seats_unread.startswith("GET /rest/api/2/applicationrole")


def _add(name: str, group: str) -> PlanItem:
    return PlanItem(Action.ADD_MEMBER, "jira", WHY, user=name, source_id=f"u-{name}", group=group)


async def _roles_read_then_created(jira: RunningJira, name: str) -> JiraTarget:
    """A target that has read the roles with the seats (as a plan that may create someone does), then
    created `name` with jira-software-users as a default group for new users."""
    target = _connect(jira)
    await target.read_state(StateQuery(seats=True), NO_PROGRESS)
    await target.execute(_create(name, grants=("Jira-Software-Users",)))
    return target


async def test_a_user_created_with_the_default_role_joins_its_default_group_without_an_add_request(
    jira_sandbox: Any,
) -> None:
    jira = jira_sandbox(users=0, projects=0)
    state_of = jira.sandbox.state
    with jira.client() as http:  # someone idsync did not create, not yet in the default group
        http.post("/rest/api/2/user", json={"name": "old", "emailAddress": "o@x.io", "displayName": "Old",
                                            "applicationKeys": []}).raise_for_status()
    target = await _roles_read_then_created(jira, "ann")
    try:
        sent = sum(target.requests.values())
        await target.execute(_add("ann", "jira-software-users"))
        assert sum(target.requests.values()) == sent  # no request: Jira put her there on creation
        await target.execute(_add("old", "jira-software-users"))
        assert target.requests["POST /rest/api/2/group/user"] == 1  # not created here: added
    finally:
        await target.aclose()
    members = state_of.group("jira-software-users").members
    assert {state_of.user_by_name("ann").key, state_of.user_by_name("old").key} <= members


async def test_without_a_default_role_read_the_add_is_sent(jira_sandbox: Any) -> None:
    jira = jira_sandbox(users=0, projects=0)
    state_of = jira.sandbox.state
    state_of.roles["jira-software"].selected_by_default = False  # an admin unticked "default"
    target = await _roles_read_then_created(jira, "ann")
    try:
        assert state_of.user_by_name("ann").key not in state_of.group("jira-software-users").members
        await target.execute(_add("ann", "jira-software-users"))
        # a target that has not read the roles (as without Administer Jira): the add is sent as well
        unread = _connect(jira)
        await unread.execute(_create("bob", grants=("jira-software-users",)))
        await unread.execute(_add("bob", "jira-software-users"))
        assert unread.requests["POST /rest/api/2/group/user"] == 1
        await unread.aclose()
    finally:
        await target.aclose()
    assert target.requests["POST /rest/api/2/group/user"] == 1
    members = state_of.group("jira-software-users").members
    assert {state_of.user_by_name("ann").key, state_of.user_by_name("bob").key} <= members


def test_a_role_not_installed_or_not_selected_by_default_is_not_given_on_creation() -> None:
    role = {"key": "jira-software", "name": "Jira Software", "groups": ["jira-software-users"],
            "defaultGroups": ["Jira-Software-Users"], "selectedByDefault": True, "defined": True}
    assert ApplicationRole.model_validate(role).pool().joined_on_create == {"jira-software-users"}
    assert ApplicationRole.model_validate({**role, "defined": False}).pool().joined_on_create == frozenset()
    assert ApplicationRole.model_validate({**role, "selectedByDefault": False}).pool().joined_on_create \
        == frozenset()


async def test_a_user_the_plan_gives_no_default_group_is_created_without_roles(jira_sandbox: Any) -> None:
    jira = jira_sandbox(users=0, projects=0)
    state_of = jira.sandbox.state
    target = _connect(jira)
    try:
        await target.read_state(StateQuery(seats=True), NO_PROGRESS)  # the role, selected by default
        # from here the emulator gives the role only when the creation names it, so a named role shows
        state_of.roles["jira-software"].selected_by_default = False
        await target.execute(_create("cy"))  # no grants: the plan puts cy into no default group
        assert state_of.user_by_name("cy").key not in state_of.group("jira-software-users").members
        await target.execute(_add("cy", "jira-software-users"))  # a managed membership, say: sent
        await target.execute(_create("dee", grants=("jira-software-users",)))
        assert state_of.user_by_name("dee").key in state_of.group("jira-software-users").members
    finally:
        await target.aclose()
    assert target.requests["POST /rest/api/2/group/user"] == 1
    assert state_of.user_by_name("cy").key in state_of.group("jira-software-users").members
