"""Stopping a run (idsync serve shutting down): the items in flight finish and are recorded, no
further item starts, and the run is recorded as interrupted with what it applied; the next run does
the rest. Over HTTP against the Okta and Jira emulators."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from idsync.domain.plan import Outcome
from idsync.engine.apply import STOPPED
from idsync.engine.run import Engine, RunRequest
from idsync.store.records import RunStatus
from tests.engine.e2e import make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_stopped_run_finishes_what_is_in_flight_and_starts_nothing_more(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira], store_url: str
) -> None:
    world = make_world(okta_sandbox(users=150, groups=8, apps=0, seed=3),
                       jira_sandbox(users=0, projects=0, latency_ms=5), store_url)

    async def stop_after_first_writes() -> tuple[object, int]:
        stop = asyncio.Event()
        engine = Engine(world.config, world.store)
        run = asyncio.ensure_future(engine.run(RunRequest("p"), stop=stop))
        for _ in range(4000):  # at most ~20 s, bounded
            if len(world.jira.sandbox.state.users) >= 5 or run.done():
                break
            await asyncio.sleep(0.005)
        stop.set()
        report = await run
        return report, len(world.jira.sandbox.state.users)

    report, users_when_done = asyncio.run(stop_after_first_writes())
    assert report.status is RunStatus.PARTIAL
    assert report.error is not None and report.error.startswith("interrupted: idsync was stopping")
    outcomes = {r.outcome for r in report.results}
    assert Outcome.APPLIED in outcomes
    not_started = [r for r in report.results if r.error == STOPPED]
    assert not_started, "items after the stop must be recorded as not started"
    assert all(r.outcome is Outcome.SKIPPED for r in not_started)
    # nothing was written after the run returned: every write is in its results
    assert len(world.jira.sandbox.state.users) == users_when_done
    history = world.store.runs("p", 1)[0]
    assert history.status == RunStatus.PARTIAL.value and (history.error or "").startswith("interrupted")

    again = world.sync()
    assert again.status is RunStatus.SUCCEEDED, again.error
    assert world.converged()
