"""JiraTarget against the Jira emulator over real HTTP: reads match the emulator's state, every action
leaves its mark in it, and errors arrive as the right idsync error types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from idsync.config.connections import JiraConnection
from idsync.domain.errors import BadRequestError, ConflictError, NotFoundError, StopSyncError, TransientError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import LeadRole, Reason, StateQuery
from idsync.sandbox.common.faults import FaultRule
from idsync.targets.jira import JiraTarget
from tests.fixtures.sandbox import RunningJira

REASON = Reason("test", "built by hand")


def connect(jira: RunningJira, **extra: Any) -> JiraTarget:
    """A JiraTarget for a running emulator, with the admin's PAT unless `extra` says otherwise."""
    fields: dict[str, Any] = {"type": "jira", "url": jira.url, "token": jira.token}
    fields.update(extra)
    return JiraTarget("jira", JiraConnection.model_validate(fields))


@pytest.fixture
def jira(jira_sandbox: Callable[..., RunningJira]) -> RunningJira:
    return jira_sandbox(users=40, projects=3, seed=7)


@pytest.fixture
async def target(jira: RunningJira) -> AsyncIterator[JiraTarget]:
    target = connect(jira)
    yield target
    await target.aclose()


async def test_check_names_version_and_user(jira: RunningJira, target: JiraTarget) -> None:
    text = await target.check()
    assert text.startswith("Jira 9.")
    assert text.endswith(f"at {jira.url}: authenticated as admin")


async def test_bad_token_stops_and_never_echoes_it(jira: RunningJira) -> None:
    target = connect(jira, token="not-the-token-xyz")
    with pytest.raises(StopSyncError) as caught:
        await target.check()
    await target.aclose()
    assert "not-the-token-xyz" not in str(caught.value)


async def test_basic_auth_works(jira: RunningJira) -> None:
    target = connect(jira, token=None, username=jira.username, password=jira.password)
    assert "authenticated as admin" in await target.check()
    await target.aclose()


async def test_read_state_matches_the_emulator(jira: RunningJira, target: JiraTarget) -> None:
    state = jira.sandbox.state
    users = sorted(state.users.values(), key=lambda u: u.key)
    some = users[1:6]
    state.users[some[0].key].properties["team"] = "platform"
    state.users[some[1].key].properties["team"] = {"nested": [1, 2]}
    by_name, by_email = users[6:10], users[10:13]
    groups = sorted(g.name for g in state.groups.values())
    query = StateQuery(
        user_keys=frozenset(u.key for u in some) | {"JIRAUSER99999"},
        usernames=frozenset(u.name.upper() for u in by_name) | {"no.such.user"},
        emails=frozenset(u.email.upper() for u in by_email) | {"nobody@example.invalid"},
        groups=frozenset(groups) | {"no-such-group"},
        property_keys=frozenset({"team"}),
        leads=True,
    )
    read = await target.read_state(query, NO_PROGRESS)

    expected = {u.key for u in [*some, *by_name]}
    expected |= {
        u.key for u in state.users.values() if u.email.lower() in {x.email.lower() for x in by_email}
    }
    assert set(read.users) == expected
    for key, user in read.users.items():
        real = state.users[key]
        assert (user.username, user.email, user.display_name, user.active) == (
            real.name,
            real.email,
            real.display_name,
            real.active,
        )
    assert read.users[some[0].key].properties == {"team": "platform"}
    assert read.users[some[1].key].properties == {"team": '{"nested": [1, 2]}'}
    assert read.users[some[2].key].properties == {"team": None}
    for group in state.groups.values():
        assert read.groups[group.name] == frozenset(state.users[k].name for k in group.members)
    assert read.groups["no-such-group"] is None
    expected_leads = {
        LeadRole("project", p.key, p.name, state.users[p.lead].name) for p in state.projects.values()
    }
    expected_leads |= {
        LeadRole("component", str(c.id), f"{c.project_key}/{c.name}", state.users[c.lead].name)
        for c in state.components.values()
        if c.lead is not None
    }
    assert set(read.leads) == expected_leads


async def test_group_members_are_paged_to_the_end(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=180, projects=0, seed=3)
    target = connect(jira, member_page_size=50)
    big = max(jira.sandbox.state.groups.values(), key=lambda g: len(g.members))
    assert len(big.members) > 100  # more than two pages of 50
    read = await target.read_state(StateQuery(groups=frozenset({big.name})), NO_PROGRESS)
    await target.aclose()
    assert read.groups[big.name] == frozenset(jira.sandbox.state.users[k].name for k in big.members)
    assert target.requests["GET /rest/api/2/group/member"] == -(-len(big.members) // 50)


async def test_a_group_read_for_its_existence_costs_one_request(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=180, projects=0, seed=3)
    target = connect(jira, member_page_size=50)
    big = max(jira.sandbox.state.groups.values(), key=lambda g: len(g.members))
    assert len(big.members) > 50
    query = StateQuery(groups_exist=frozenset({big.name, "no-such-group"}))
    read = await target.read_state(query, NO_PROGRESS)
    await target.aclose()
    assert read.existing_groups == frozenset({big.name})
    assert read.groups == {"no-such-group": None}  # missing, as a full read reports it
    assert target.requests["GET /rest/api/2/group/member"] == 2


async def test_every_action_changes_the_emulator(jira: RunningJira, target: JiraTarget) -> None:
    state = jira.sandbox.state
    active = sorted((u for u in state.users.values() if u.active and u.name != "admin"), key=lambda u: u.key)
    led = {p.lead for p in state.projects.values()} | {c.lead for c in state.components.values()}
    free = [u for u in active if u.key not in led]
    renamed, deactivated, deleted, updated = free[0], free[1], free[2], free[3]

    def item(action: Action, **fields: Any) -> PlanItem:
        return PlanItem(action, "jira", REASON, **fields)

    await target.execute(item(Action.CREATE_GROUP, group="idsync-new"))
    key = await target.execute(
        item(
            Action.CREATE_USER,
            user="new.person",
            changes=(
                Change("email", None, "new.person@example.com"),
                Change("display_name", None, "New Person"),
            ),
        )
    )
    assert key is not None
    assert state.users[key].name == "new.person"
    assert state.users[key].email == "new.person@example.com"
    await target.execute(item(Action.ADD_MEMBER, user="new.person", group="idsync-new"))
    await target.execute(item(Action.ADD_MEMBER, user="new.person", group="idsync-new"))  # already: fine
    assert state.group("idsync-new") is not None
    assert key in state.group("idsync-new").members  # type: ignore[union-attr]
    await target.execute(
        item(Action.SET_USER_PROPERTY, user="new.person", changes=(Change("team", None, "core"),))
    )
    assert state.users[key].properties["team"] == "core"
    await target.execute(
        item(Action.SET_USER_PROPERTY, user="new.person", changes=(Change("team", "core", None),))
    )
    assert "team" not in state.users[key].properties
    await target.execute(item(Action.REMOVE_MEMBER, user="new.person", group="idsync-new"))
    await target.execute(
        item(Action.REMOVE_MEMBER, user="new.person", group="idsync-new")
    )  # not a member: fine
    assert key not in state.group("idsync-new").members  # type: ignore[union-attr]
    await target.execute(item(Action.CREATE_GROUP, group="idsync-new"))  # exists by now: fine

    await target.execute(
        item(
            Action.UPDATE_USER,
            user=updated.name,
            user_key=updated.key,
            changes=(Change("display_name", updated.display_name, "Changed Name"),),
        )
    )
    assert state.users[updated.key].display_name == "Changed Name"
    await target.execute(
        item(
            Action.RENAME_USER,
            user="renamed.one",
            user_key=renamed.key,
            changes=(Change("username", renamed.name, "renamed.one"),),
        )
    )
    assert state.users[renamed.key].name == "renamed.one"
    await target.execute(item(Action.DEACTIVATE_USER, user=deactivated.name, user_key=deactivated.key))
    assert state.users[deactivated.key].active is False
    await target.execute(item(Action.REACTIVATE_USER, user=deactivated.name, user_key=deactivated.key))
    assert state.users[deactivated.key].active is True
    await target.execute(item(Action.DELETE_USER, user=deleted.name, user_key=deleted.key))
    assert deleted.key not in state.users
    assert (
        await target.execute(item(Action.LINK_USER, user=updated.name, user_key=updated.key)) == updated.key
    )

    project = next(iter(state.projects.values()))
    component = next(c for c in state.components.values() if c.lead is not None)
    old = LeadRole("project", project.key, project.name, state.users[project.lead].name)
    await target.execute(item(Action.HAND_OVER_LEAD, lead=old, new_lead="admin"))
    assert state.users[project.lead].name == "admin"
    old = LeadRole("component", str(component.id), component.name, state.users[component.lead].name)
    await target.execute(item(Action.HAND_OVER_LEAD, lead=old, new_lead="admin"))
    assert component.lead is not None
    assert state.users[component.lead].name == "admin"


async def test_existing_username_is_a_conflict(jira: RunningJira, target: JiraTarget) -> None:
    existing = next(u for u in jira.sandbox.state.users.values() if u.name != "admin")
    item = PlanItem(
        Action.CREATE_USER,
        "jira",
        REASON,
        user=existing.name.upper(),
        changes=(Change("email", None, "x@example.com"), Change("display_name", None, "X")),
    )
    with pytest.raises(ConflictError, match="already exists"):
        await target.execute(item)


async def test_member_of_missing_group_is_an_error(jira: RunningJira, target: JiraTarget) -> None:
    item = PlanItem(Action.ADD_MEMBER, "jira", REASON, user="admin", group="no-such-group")
    with pytest.raises(NotFoundError, match="no-such-group"):
        await target.execute(item)
    bad_lead = PlanItem(
        Action.HAND_OVER_LEAD,
        "jira",
        REASON,
        new_lead="no.such.user",
        lead=LeadRole("project", next(iter(jira.sandbox.state.projects)), "P", "x"),
    )
    with pytest.raises(BadRequestError, match=r"no\.such\.user"):
        await target.execute(bad_lead)


async def test_a_failed_page_fails_the_read(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=120, projects=0, seed=3)
    big = max(jira.sandbox.state.groups.values(), key=lambda g: len(g.members))
    jira.sandbox.control.faults.rules = [
        FaultRule(path="/rest/api/2/group/member", method="GET", skip=1, count=5, status=500)
    ]
    target = connect(jira, retries=0, member_page_size=50)
    with pytest.raises(TransientError, match="500"):
        await target.read_state(StateQuery(groups=frozenset({big.name, "jira-software-users"})), NO_PROGRESS)
    await target.aclose()
