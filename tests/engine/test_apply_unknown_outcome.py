"""A write whose outcome is unknown (a POST that got a 500 or lost its connection) is judged by reading
the target and repeated only if it did not happen: no duplicate, no false failure. Against the Jira
emulator over real HTTP, whose fault rules can carry a request out and then lose its response."""

from __future__ import annotations

from collections.abc import Callable

from idsync.domain.plan import Action, Outcome
from idsync.sandbox.common.faults import FaultRule
from tests.engine.test_apply import apply, connect, item, new_user, plain_users
from tests.fixtures.sandbox import RunningJira


def _posts(jira: RunningJira, route: str) -> int:
    return sum(n for key, n in jira.sandbox.control.stats().items()
               if key.startswith(f"POST {route}"))


async def test_create_whose_response_was_lost_is_found_not_repeated(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=0)
    jira.sandbox.control.faults.rules = [
        FaultRule("/rest/api/2/user", "POST", count=1, status=500, after=True)]
    [result] = await apply([new_user("zoe")], connect(jira))
    assert result.outcome is Outcome.APPLIED, result.error
    users = [u for u in jira.sandbox.state.users.values() if u.name == "zoe"]
    assert len(users) == 1 and result.target_key == users[0].key
    assert _posts(jira, "/rest/api/2/user") == 1  # read, not repeated


async def test_create_that_did_not_happen_is_done_again(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=0)
    jira.sandbox.control.faults.rules = [FaultRule("/rest/api/2/user", "POST", count=1, status=502)]
    [result] = await apply([new_user("zoe")], connect(jira))
    assert result.outcome is Outcome.APPLIED and result.attempts == 2
    assert [u.name for u in jira.sandbox.state.users.values() if u.name == "zoe"] == ["zoe"]


async def test_membership_whose_connection_dropped_is_judged_by_the_group(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=10, seed=3)
    ann, bob = plain_users(jira, 2)
    jira.sandbox.state.add_group("wave")
    jira.sandbox.control.faults.rules = [
        FaultRule("/rest/api/2/group/user", "POST", count=1, status=0, after=True),
        FaultRule("/rest/api/2/group/user", "POST", skip=1, count=1, status=500),
    ]
    items = [item(Action.ADD_MEMBER, user=u.name, source_id=u.key, group="wave") for u in (ann, bob)]
    results = await apply(items, connect(jira, concurrency=1))
    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.APPLIED], [r.error for r in results]
    group = jira.sandbox.state.group("wave")
    assert group is not None and group.members >= {ann.key, bob.key}


async def test_outcome_still_unknown_after_the_tries_fails_the_item(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=0)
    jira.sandbox.control.faults.rules = [FaultRule("/rest/api/2/user", "POST", count=10, status=500)]
    [result] = await apply([new_user("zoe")], connect(jira))
    assert result.outcome is Outcome.FAILED and "500" in (result.error or "")
    assert result.attempts == 6
    assert not any(u.name == "zoe" for u in jira.sandbox.state.users.values())
