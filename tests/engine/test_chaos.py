"""Chaos: sync while both emulators inject 5xx (10 % of reads and writes), 429 bursts with Retry-After
(their real rate limiters, set tight), dropped connections (2 %) and writes whose response is lost after
they were carried out (2 %). One run leaves at most 0.5 % of its items failed, the next one converges
exactly; ten runs under faults followed by one clean run end exact (SQLite and PostgreSQL).

No fault is hidden from idsync: reads and idempotent writes are retried by its HTTP layer, a POST whose
outcome is unknown is judged by reading the target (idsync.engine.resolve), a 429 is waited out.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from idsync.domain.plan import Outcome
from idsync.sandbox.okta.options import RateLimitOptions
from idsync.store.records import RunStatus
from tests.engine.e2e import World, make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

pytestmark = pytest.mark.slow

FAULTS = {"read_fail_rate": 0.1, "write_fail_rate": 0.1, "fail_status": 500, "drop_rate": 0.02,
          "lost_rate": 0.02}


def _chaotic(okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
             store_url: str) -> World:
    okta = okta_sandbox(users=120, groups=16, seed=11,
                        rate_limit=RateLimitOptions(per_minute=12, window_seconds=1.0))
    jira = jira_sandbox(users=0, projects=0, seed=3, rate_limit_requests=80, rate_limit_max=20)
    world = make_world(okta, jira, store_url)
    for control in (okta.sandbox.control, jira.sandbox.control):
        control.faults.update(FAULTS)
    return world


def _calm(world: World) -> None:
    for control in (world.okta.sandbox.control, world.jira.sandbox.control):
        control.faults.update({"read_fail_rate": 0.0, "write_fail_rate": 0.0, "drop_rate": 0.0,
                               "lost_rate": 0.0})


def test_one_run_under_faults_nearly_finishes_and_the_next_converges(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str,
) -> None:
    world = _chaotic(okta_sandbox, jira_sandbox, store_url)
    first = world.sync()
    assert first.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL), first.error
    failed = [r for r in first.results if r.outcome is not Outcome.APPLIED]
    assert len(failed) <= 0.005 * len(first.results), [r.error for r in failed][:5]
    retried = sum(r.attempts - 1 for r in first.results)
    assert retried > 0  # the faults were met, not missed
    second = world.sync()
    assert second.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), second.error
    assert world.converged()


def test_ten_runs_under_faults_then_a_clean_one_end_exact(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str,
) -> None:
    world = _chaotic(okta_sandbox, jira_sandbox, store_url)
    for round_no in range(10):
        report = world.sync()
        assert report.status is not RunStatus.REFUSED, report.error
        if round_no == 4:  # Okta changes mid-way: the faults meet changes, not only the initial sync
            with world.okta_api() as okta:
                uid = sorted(world.okta.sandbox.state.users)[0]
                for _ in range(5):  # the API itself answers faults too: retry this setup call
                    if okta.post(f"/api/v1/users/{uid}/lifecycle/deactivate").status_code == 200:
                        break
    _calm(world)
    final = world.sync()
    assert final.status in (RunStatus.SUCCEEDED, RunStatus.NO_CHANGES), final.error
    assert world.converged()
    world.reset_counters()
    assert world.sync().status is RunStatus.NO_CHANGES
