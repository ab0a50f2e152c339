"""One target's planning (engine.plan_target) against the Jira emulator over real HTTP: what it reads,
what it plans, and the absence records it leaves — and that a target it cannot read raises instead
of looking empty."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from idsync.config.profiles import Profile
from idsync.domain.errors import ConnectorError
from idsync.domain.plan import Action
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import DesiredState
from idsync.engine.absences import absence_mark
from idsync.engine.plan_target import TargetPlan, plan_target
from idsync.engine.target_records import TargetRecords
from idsync.rules.desired import desired_state
from idsync.targets.jira import JiraTarget
from tests.engine.test_apply import connect
from tests.fixtures.sandbox import RunningJira
from tests.rules.builders import group, person, profile, snapshot

PROFILE: Profile = profile(groups={"mode": "on_the_fly"})


def _desired() -> DesiredState:
    hire = person("u1", "ann")
    leaver = person("u2", "bob", status="DEPROVISIONED")  # inactive, never created: only looked up
    return desired_state(snapshot([hire, leaver], [group("g1", "eng", "u1", "u2")]), PROFILE)


async def _plan(target: JiraTarget, desired: DesiredState, records: TargetRecords, *,
                full_read: bool) -> TargetPlan:
    loading: asyncio.Future[TargetRecords] = asyncio.get_running_loop().create_future()
    loading.set_result(records)
    try:
        return await plan_target(PROFILE, desired, None, "jira", target, full_read=full_read, loading=loading,
                                 progress=NO_PROGRESS)
    finally:
        await target.aclose()


def test_a_full_read_looks_everyone_up_plans_the_hire_and_records_who_is_absent(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox()
    desired = _desired()
    planned = asyncio.run(_plan(connect(jira), desired, TargetRecords({}, {}, {}), full_read=True))
    assert {"ann", "bob"} <= planned.query.usernames
    assert "eng" in planned.query.groups
    actions = {(i.action, i.user or i.group) for i in planned.result.items}
    assert {(Action.CREATE_GROUP, "eng"), (Action.CREATE_USER, "ann"), (Action.ADD_MEMBER, "ann")} <= actions
    assert not any(i.user == "bob" for i in planned.result.items)  # inactive: never created
    # bob was looked up and not found, and nothing is planned for him: the next run need not ask again
    assert planned.absence.record == {"u2": absence_mark(desired, desired.users["u2"], PROFILE)}
    assert planned.absence.replace_all
    assert set(planned.wanted_digests) == set(desired.groups)
    assert planned.links == {}


def test_between_full_reads_a_person_recorded_absent_is_not_looked_up(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox()
    desired = _desired()
    records = TargetRecords({}, {"u2": absence_mark(desired, desired.users["u2"], PROFILE)}, {})
    planned = asyncio.run(_plan(connect(jira), desired, records, full_read=False))
    assert "bob" not in planned.query.usernames
    assert "ann" in planned.query.usernames
    assert planned.absence.record == {}  # kept as it is: nothing new to write, nothing to forget
    assert planned.absence.forget == frozenset()


def test_a_target_that_cannot_be_read_raises_rather_than_planning_from_nothing(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox()
    revoked = connect(jira, token="not-the-token")
    with pytest.raises(ConnectorError):
        asyncio.run(_plan(revoked, _desired(), TargetRecords({}, {}, {}), full_read=True))
