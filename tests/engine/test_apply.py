"""apply_plan against the Jira emulator over real HTTP: phase order, lead handover before deactivation,
rate limits waited out, partial failure, StopSync halting a target, dependency skipping, attempts.

Plan items are built by hand as PlanItem records; the emulator's in-process state shows the effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from idsync.config.connections import JiraConnection
from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import Capabilities, LeadRole, Reason, StateQuery, TargetState
from idsync.engine.apply import apply_plan
from idsync.sandbox.atlassian.jira.state import JiraUser
from idsync.sandbox.common.faults import FaultRule
from idsync.targets.base import Target
from idsync.targets.jira import JiraTarget
from tests.fixtures.sandbox import RunningJira

REASON = Reason("test", "built by hand")


def connect(jira: RunningJira, name: str = "jira", **extra: Any) -> JiraTarget:
    """A JiraTarget for a running emulator (admin PAT unless `extra` overrides)."""
    fields: dict[str, Any] = {"type": "jira", "url": jira.url, "token": jira.token}
    fields.update(extra)
    return JiraTarget(name, JiraConnection.model_validate(fields))


def item(action: Action, target: str = "jira", **fields: Any) -> PlanItem:
    return PlanItem(action, target, REASON, **fields)


def new_user(name: str, target: str = "jira") -> PlanItem:
    changes = (Change("email", None, f"{name}@example.com"), Change("display_name", None, name.title()))
    return item(Action.CREATE_USER, target, user=name, source_id=f"src-{name}", changes=changes)


async def apply(items: list[PlanItem], *targets: Target) -> list[ItemResult]:
    plan = Plan("test", datetime.now(UTC), tuple(items), "test", 0, 0)
    try:
        results = await apply_plan(plan, {t.name: t for t in targets}, NO_PROGRESS)
    finally:
        for target in targets:
            await target.aclose()
    assert [r.index for r in results] == list(range(len(items)))
    return results


def plain_users(jira: RunningJira, count: int) -> list[JiraUser]:
    """Active users who lead nothing (so they can be deactivated), admin excluded."""
    state = jira.sandbox.state
    led = {p.lead for p in state.projects.values()} | {c.lead for c in state.components.values()}
    users = sorted(state.users.values(), key=lambda u: u.key)
    chosen = [u for u in users if u.active and u.name != "admin" and u.key not in led][:count]
    assert len(chosen) == count
    return chosen


async def test_phases_run_in_action_order_whatever_the_item_order(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=5)
    # listed backwards: members before their group and user exist, a removal before the add
    items = [
        item(Action.REMOVE_MEMBER, user="zed", source_id="src-zed", group="late-group"),
        item(Action.ADD_MEMBER, user="amy", source_id="src-amy", group="late-group"),
        item(Action.ADD_MEMBER, user="zed", source_id="src-zed", group="late-group"),
        new_user("amy"),
        new_user("zed"),
        item(Action.CREATE_GROUP, group="late-group"),
    ]
    results = await apply(items, connect(jira, concurrency=4))
    assert [r.outcome for r in results] == [Outcome.APPLIED] * len(items)
    state = jira.sandbox.state
    group = state.group("late-group")
    assert group is not None
    assert {state.users[k].name for k in group.members} == {"amy"}  # zed added, then removed
    assert results[3].target_key == state.by_name["amy"]
    assert results[4].target_key == state.by_name["zed"]


async def test_lead_handover_runs_before_deactivation(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=20, projects=2, seed=5)
    state = jira.sandbox.state
    project = next(iter(state.projects.values()))
    lead = state.users[project.lead]
    roles = [LeadRole("project", project.key, project.name, lead.name)]
    roles += [LeadRole("component", str(c.id), c.name, lead.name) for c in state.components_led_by(lead.key)]
    roles += [LeadRole("project", p.key, p.name, lead.name) for p in state.projects_led_by(lead.key)[1:]]
    deactivate = item(Action.DEACTIVATE_USER, user=lead.name, user_key=lead.key, source_id="src-lead")

    without = await apply([deactivate], connect(jira))
    assert without[0].outcome is Outcome.FAILED
    assert "lead" in (without[0].error or "")
    assert state.users[lead.key].active is True

    handovers = [item(Action.HAND_OVER_LEAD, user=lead.name, lead=role, new_lead="admin") for role in roles]
    results = await apply([deactivate, *handovers], connect(jira))
    assert [r.outcome for r in results] == [Outcome.APPLIED] * len(results)
    assert state.users[lead.key].active is False
    assert state.users[project.lead].name == "admin"


async def test_rate_limit_429_is_waited_out(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=0, rate_limit_requests=8, rate_limit_max=8)
    target = connect(jira, concurrency=4)
    results = await apply([item(Action.CREATE_GROUP, group=f"g{i:02}") for i in range(20)], target)
    assert [r.outcome for r in results] == [Outcome.APPLIED] * 20
    assert target.http.rate_limited > 0
    assert max(r.attempts for r in results) > 1
    assert all(jira.sandbox.state.group(f"g{i:02}") is not None for i in range(20))


async def test_injected_write_failures_fail_their_items_only(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=60, seed=11)
    users = plain_users(jira, 50)
    jira.sandbox.state.add_group("wave")
    jira.sandbox.control.faults.write_fail_rate = 0.1
    items = [item(Action.ADD_MEMBER, user=u.name, source_id=u.key, group="wave") for u in users]
    for u in users:
        rename = Change("display_name", u.display_name, f"{u.display_name} II")
        items.append(item(Action.UPDATE_USER, user=u.name, user_key=u.key, changes=(rename,)))
    # retries 0: every injected 500 becomes a failed item (with retries, PUTs would mostly recover)
    results = await apply(items, connect(jira, retries=0, concurrency=8))
    jira.sandbox.control.faults.write_fail_rate = 0.0
    state = jira.sandbox.state
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    applied = [r for r in results if r.outcome is Outcome.APPLIED]
    assert failed, "10% injected 5xx over 100 writes: some items must fail"
    assert len(applied) + len(failed) == len(items)
    assert all("500" in (r.error or "") for r in failed)
    group = state.group("wave")
    assert group is not None
    for result in results[:50]:
        member = users[result.index].key in group.members
        assert member is (result.outcome is Outcome.APPLIED)
    for result in results[50:]:
        user = users[result.index - 50]
        assert state.users[user.key].display_name.endswith(" II") is (result.outcome is Outcome.APPLIED)


async def test_stop_sync_halts_that_target_only(jira_sandbox: Callable[..., RunningJira]) -> None:
    good, bad = jira_sandbox(users=0), jira_sandbox(users=0)
    items = []
    for name in ("good", "bad"):
        items += [item(Action.CREATE_GROUP, name, group=f"{name}-{i}") for i in range(3)]
        items += [new_user(f"{name}.user", name)]
        items += [item(Action.ADD_MEMBER, name, user=f"{name}.user", group=f"{name}-0")]
    results = await apply(
        items,
        connect(good, "good"),
        connect(bad, "bad", token="wrong-token", concurrency=1),
    )
    assert [r.outcome for r in results[:5]] == [Outcome.APPLIED] * 5
    assert results[5].outcome is Outcome.FAILED
    assert "401" in (results[5].error or "")
    assert "wrong-token" not in (results[5].error or "")
    assert [r.outcome for r in results[6:]] == [Outcome.SKIPPED] * 4
    assert all((r.error or "").startswith("halted after create_group") for r in results[6:])
    assert bad.sandbox.state.group("bad-1") is None


async def test_failed_create_skips_that_users_and_groups_dependents(
    jira_sandbox: Callable[..., RunningJira],
) -> None:
    jira = jira_sandbox(users=10, seed=2)
    taken = plain_users(jira, 1)[0].name
    # a refusal (400), not a 500: a create whose outcome is unknown is read back and done again
    jira.sandbox.control.faults.rules = [
        FaultRule(path="/rest/api/2/group", method="POST", count=1, status=400)]
    items = [
        item(Action.CREATE_GROUP, group="broken"),  # first POST /group: injected 400
        item(Action.CREATE_GROUP, group="fine"),
        new_user(taken),  # exists already: ConflictError
        new_user("ok.user"),
        item(Action.ADD_MEMBER, user=taken, source_id=f"src-{taken}", group="fine"),
        item(
            Action.SET_USER_PROPERTY,
            user=taken,
            source_id=f"src-{taken}",
            changes=(Change("team", None, "x"),),
        ),
        item(Action.ADD_MEMBER, user="ok.user", source_id="src-ok.user", group="broken"),
        item(Action.ADD_MEMBER, user="ok.user", source_id="src-ok.user", group="fine"),
    ]
    results = await apply(items, connect(jira, concurrency=1))
    outcomes = [r.outcome for r in results]
    assert outcomes == [
        Outcome.FAILED, Outcome.APPLIED, Outcome.FAILED, Outcome.APPLIED,
        Outcome.SKIPPED, Outcome.SKIPPED, Outcome.SKIPPED, Outcome.APPLIED,
    ]  # fmt: skip
    assert "already exists" in (results[2].error or "")
    assert results[4].error == f"depends on failed create_user of {taken}"
    assert results[6].error == "depends on failed create_group of broken"
    assert results[2].target_key is None
    assert results[3].target_key == jira.sandbox.state.by_name["ok.user"]


async def test_retried_item_records_its_attempts(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=5, seed=4)
    user = plain_users(jira, 1)[0]
    jira.sandbox.control.faults.rules = [
        FaultRule(path="/rest/api/2/user", method="PUT", count=2, status=503)
    ]
    results = await apply(
        [item(Action.DEACTIVATE_USER, user=user.name, user_key=user.key)], connect(jira, retries=3)
    )
    assert results[0].outcome is Outcome.APPLIED
    assert results[0].attempts == 3
    assert results[0].duration_ms > 0
    assert jira.sandbox.state.users[user.key].active is False


async def test_unknown_target_fails_its_items(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=0)
    results = await apply([item(Action.CREATE_GROUP, "elsewhere", group="x")], connect(jira))
    assert results[0].outcome is Outcome.FAILED
    assert "elsewhere" in (results[0].error or "")


class CountingProgress:
    """A Progress that remembers its bars (the protocol's plain implementation, as a UI would be)."""

    def __init__(self) -> None:
        self.bars: dict[str, list[int | None]] = {}

    def task(self, description: str, total: int | None = None) -> CountingProgress.Bar:
        self.bars[description] = [total, 0]
        return CountingProgress.Bar(self.bars[description])

    class Bar:
        def __init__(self, cells: list[int | None]) -> None:
            self.cells = cells

        def advance(self, amount: int = 1) -> None:
            self.cells[1] = (self.cells[1] or 0) + amount

        def set_total(self, total: int | None) -> None:
            self.cells[0] = total


async def test_one_progress_bar_counts_every_item(jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox(users=0)
    items = [
        item(Action.CREATE_GROUP, group="p1"),
        new_user("taken.not"),
        item(Action.CREATE_GROUP, "gone", group="x"),
    ]
    progress = CountingProgress()
    target = connect(jira)
    plan = Plan("test", datetime.now(UTC), tuple(items), "test", 0, 0)
    results = await apply_plan(plan, {"jira": target}, progress)
    await target.aclose()
    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.APPLIED, Outcome.FAILED]
    assert progress.bars == {"applying": [3, 3]}


class _Batching:
    """A plain in-memory target that adds many members to a group in one call, refusing one user."""

    name = "bb"
    capabilities = Capabilities()
    max_concurrency = 4
    max_batch = 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def batch_key(self, item: PlanItem) -> object:
        return item.group if item.action is Action.ADD_MEMBER else None

    async def execute_batch(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        self.calls.append([item.user or "" for item in items])
        return [BadRequestError("no such user") if item.user == "ghost" else None for item in items]

    async def execute(self, item: PlanItem) -> str | None:
        self.calls.append([item.user or ""])
        if item.user == "ghost":
            raise BadRequestError("no such user")
        return None

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        raise NotImplementedError

    async def check(self) -> str:
        return "batching"

    async def aclose(self) -> None:
        return None


async def test_a_batching_target_gets_a_groups_additions_together_and_an_outcome_per_item() -> None:
    pairs = (("ann", "dev"), ("bob", "dev"), ("ghost", "dev"), ("dan", "dev"), ("cat", "ops"))
    items = tuple(PlanItem(Action.ADD_MEMBER, "bb", REASON, user=u, group=g) for u, g in pairs)
    target = _Batching()
    plan = Plan("test", datetime.now(UTC), items, "test", 0, 0)
    results = await apply_plan(plan, {"bb": target}, NO_PROGRESS)
    # max_batch 3, one group per batch; a batch of one goes through execute
    assert sorted(target.calls) == [["ann", "bob", "ghost"], ["cat"], ["dan"]]
    outcomes = {items[r.index].user: r.outcome for r in results}
    assert outcomes == {"ann": Outcome.APPLIED, "bob": Outcome.APPLIED, "ghost": Outcome.FAILED,
                        "dan": Outcome.APPLIED, "cat": Outcome.APPLIED}
