"""Acceptance 5 (metrics): /metrics scraped from `idsync serve` after runs shows the right values.

The runs are real (Okta changes delivered by the Okta emulator's hook sender, synced into the Jira
emulator by the server process); the expected values come from what others counted: the history in
the database, the Jira emulator's own request counters and its rate limiter's 429 count. One test
checks the HTTP layer's counters against the scripted server (tests.fixtures.scripted), one the
items of a run with several of one action and outcome."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from idsync import metrics
from idsync.domain.plan import Action, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Reason
from idsync.engine.run_records import RunReport, RunRequest, RunStatus
from idsync.http import HttpClient, RetryPolicy
from idsync.sandbox.atlassian.jira.ratelimit import RateLimiter
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.fixtures.scripted import Answer, Handler, ScriptedServer
from tests.server.hooks.world import EXPIRES_IN_DAYS, eventually, make_world, serving


def samples(text: str) -> dict[str, float]:
    """Exposition lines as {'name{labels}': value} (comments left out)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            found[key] = float(value)
    return found


def series(found: dict[str, float], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for key, value in found.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        have = dict(part.split("=", 1) for part in rest.rstrip("}").split(",") if part)
        if all(have.get(k) == f'"{v}"' for k, v in labels.items()):
            total += value
    return total


def test_http_counters_429_waits_and_rate_limit_remaining(
    scripted: Callable[[Handler], ScriptedServer],
) -> None:
    answers = iter([
        Answer(429, {"Retry-After": "0.2", "X-Rate-Limit-Remaining": "0"}),
        Answer.json(200, {}, {"X-Rate-Limit-Remaining": "41"}),
    ])  # fmt: skip
    server = scripted(lambda _request: next(answers))
    host = {"connection": "127.0.0.1"}
    before = {
        status: metrics.sample("idsync_http_requests_total", {**host, "method": "GET", "status": status}) or 0
        for status in ("200", "429")
    }
    limited = metrics.sample("idsync_http_rate_limited_total", host) or 0
    waited = metrics.sample("idsync_http_rate_limit_wait_seconds_total", host) or 0

    async def call() -> None:
        client = HttpClient(server.url, headers={}, retry=RetryPolicy(attempts=3))
        await client.request("GET", "/thing")
        await client.aclose()

    asyncio.run(call())

    for status in ("200", "429"):
        now = metrics.sample("idsync_http_requests_total", {**host, "method": "GET", "status": status})
        assert now == before[status] + 1
    assert metrics.sample("idsync_http_rate_limited_total", host) == limited + 1
    assert metrics.sample("idsync_http_rate_limit_wait_seconds_total", host) == waited + 0.2
    assert metrics.sample("idsync_rate_limit_remaining", host) == 41


def test_a_finished_runs_items_are_counted_by_action_and_outcome() -> None:
    # several items of one action and outcome in one run: each counts (the counter steps by how many)
    reason = Reason("test", "built by hand")
    adds = [PlanItem(Action.ADD_MEMBER, "jira", reason, user=f"u{n}", group="team") for n in range(4)]
    items = (*adds, PlanItem(Action.CREATE_USER, "jira", reason, user="new"))
    outcomes = [Outcome.APPLIED, Outcome.APPLIED, Outcome.FAILED, Outcome.APPLIED, Outcome.APPLIED]
    report = RunReport(
        RunStatus.PARTIAL,
        Plan("metrics-items", datetime.now(UTC), items, "okta", 0, 0),
        results=tuple(ItemResult(n, outcome) for n, outcome in enumerate(outcomes)),
    )

    metrics.record_finished("metrics-items", RunRequest("metrics-items"), report, 1.0, log=False)

    def counted(action: str, outcome: str) -> float | None:
        labels = {"profile": "metrics-items", "action": action, "outcome": outcome}
        return metrics.sample("idsync_run_items_total", labels)

    assert counted("add_member", "applied") == 3
    assert counted("add_member", "failed") == 1
    assert counted("create_user", "applied") == 1
    assert counted("create_user", "failed") is None


def test_metrics_after_runs_match_history_and_the_emulators_counts(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta, jira = okta_sandbox(), jira_sandbox()
    world = make_world(tmp_path, okta, jira)
    with serving(world, tmp_path):
        # From here on Jira allows one request per second per user: the server's runs meet 429s.
        limiter = RateLimiter(1, 1, 1)
        jira.sandbox.auth.limiter = limiter
        jira.sandbox.control.middleware.requests.clear()
        with world.okta_api() as api:
            api.post(f"/api/v1/users/{world.ids['alice']}/lifecycle/suspend").raise_for_status()
            eventually(lambda: not world.jira_user("alice").active, "the suspension did not reach Jira", 60)
            api.post(f"/api/v1/users/{world.ids['bob']}", json={"profile": {"lastName": "Metrics"}})
            eventually(lambda: world.jira_user("bob").display_name == "Bob Metrics", "no profile change", 60)
        runs = world.settled_runs()
        found = samples(world.metrics())
        jira_requests: Counter[str] = Counter()
        for route, count in jira.sandbox.control.stats().items():  # "METHOD /route"
            jira_requests[route.split(" ", 1)[0]] += count
        rejected = limiter.rejected
        assert world.stop() == 0

    assert len(runs) == 2
    succeeded = sum(1 for r in runs if r.status == "succeeded")
    assert series(found, "idsync_runs_total", profile="p", trigger="hook", outcome="succeeded") == succeeded
    assert succeeded == 2
    assert series(found, "idsync_runs_total", trigger="manual") == 0, "initial sync: another process"
    assert series(found, "idsync_run_duration_seconds_count", profile="p", trigger="hook") == 2
    by_action: Counter[str] = Counter()
    for run in runs:
        by_action.update(run.counts_by_action)
    assert by_action == Counter({"deactivate_user": 1, "update_user": 1})
    for action, count in by_action.items():
        assert series(found, "idsync_run_items_total", profile="p", action=action, outcome="applied") == count
    assert series(found, "idsync_run_items_total", outcome="failed") == 0

    for method, count in jira_requests.items():
        assert series(found, "idsync_http_requests_total", connection="jira", method=method) == count
    assert rejected >= 1, "the runs met the rate limit"
    assert series(found, "idsync_http_requests_total", connection="jira", status="429") == rejected
    assert series(found, "idsync_http_rate_limited_total", connection="jira") == rejected
    assert series(found, "idsync_http_rate_limit_wait_seconds_total", connection="jira") >= rejected
    assert 'idsync_rate_limit_remaining{connection="jira"}' in found
    assert 'idsync_rate_limit_remaining{connection="okta"}' in found
    assert series(found, "idsync_http_requests_total", connection="okta", method="GET") >= 2

    # expires_at was set EXPIRES_IN_DAYS from today (one less if midnight UTC passed since)
    assert found['idsync_credential_days_left{connection="jira"}'] in (EXPIRES_IN_DAYS, EXPIRES_IN_DAYS - 1)
    assert series(found, "idsync_hook_deliveries_total", connection="okta", status="200") >= 2
    assert series(found, "idsync_hook_events_total", connection="okta", result="queued") == 2
