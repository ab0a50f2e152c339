"""The overview's warnings and the history searches the admin UI adds (date range, group filter, a
person's timeline), over a real SQLite store with runs recorded through the store's history API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from idsync.config.loader import parse_config
from idsync.domain.plan import Action, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Reason
from idsync.service import history
from idsync.service.context import Context
from idsync.service.errors import UnknownName
from idsync.service.overview import overview
from idsync.store import Store

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: "http://127.0.0.1:1", token: t, expires_at: {soon}}}
  jira: {{type: jira, url: "http://127.0.0.1:2", token: t, expires_at: {past}}}
  ldap: {{type: ldap, url: "ldap://127.0.0.1:3", user_base: "dc=x", expires_at: 2999-01-01}}
profiles:
  p: {{source: okta, targets: [jira]}}
  q: {{source: okta, targets: [jira]}}
"""
NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    text = CONFIG.format(db=tmp_path / "idsync.db", soon=date(2030, 6, 11), past=date(2030, 5, 1))
    config = parse_config(text, env={})
    with Store.open(config.database) as store:
        yield Context(config, store)


def _item(action: Action, user: str, group: str | None = None) -> PlanItem:
    return PlanItem(
        action, "jira", Reason("rule.x", f"why {user}"), user=user, source_id=f"id-{user}", group=group
    )


def _record(store: Store, profile: str, status: str, outcomes: list[Outcome], items: list[PlanItem]) -> str:
    run_id = store.start_run(profile, "schedule")
    plan = Plan(profile, datetime.now(UTC), tuple(items), "okta", 10, 2)
    results = [
        ItemResult(i, o, error="HTTP 400" if o is Outcome.FAILED else None) for i, o in enumerate(outcomes)
    ]
    store.finish_run(
        run_id,
        status=status,
        plan=plan,
        results=results,
        timings={},
        error="limit hit" if status == "refused" else None,
    )
    return run_id


def test_the_overview_warns_of_credentials_refusals_and_failed_items(ctx: Context) -> None:
    refused = _record(ctx.store, "p", "refused", [], [_item(Action.DEACTIVATE_USER, "ann")])
    partial = _record(ctx.store, "q", "partial", [Outcome.APPLIED, Outcome.FAILED],
                      [_item(Action.CREATE_USER, "bo"), _item(Action.ADD_MEMBER, "bo", "devs")])  # fmt: skip

    found = overview(ctx, NOW)

    assert [p.name for p in found.profiles] == ["p", "q"]
    kinds = {(w.kind, w.subject): w for w in found.warnings}
    assert set(kinds) == {("credential_expiring", "okta"), ("credential_expired", "jira"),
                          ("run_refused", "p"), ("items_failed", "q")}  # fmt: skip
    assert "in 10 days" in kinds["credential_expiring", "okta"].message
    assert (
        kinds["credential_expired", "jira"].severity == "error"
        and "31 days ago" in kinds["credential_expired", "jira"].message
    )
    assert kinds["run_refused", "p"].run_id == refused and "limit hit" in kinds["run_refused", "p"].message
    assert (
        kinds["items_failed", "q"].run_id == partial
        and "1 item(s) failed" in kinds["items_failed", "q"].message
    )


def test_runs_filter_by_start_date(ctx: Context) -> None:
    first = _record(ctx.store, "p", "succeeded", [Outcome.APPLIED], [_item(Action.CREATE_USER, "ann")])
    now = datetime.now(UTC)
    assert [r.id for r in history.list_runs(ctx.store, started_after=now - timedelta(hours=1)).runs] == [
        first
    ]
    assert history.list_runs(ctx.store, started_after=now + timedelta(hours=1)).runs == ()
    assert history.list_runs(ctx.store, started_before=now - timedelta(hours=1)).runs == ()
    with pytest.raises(UnknownName, match="has no time zone"):
        history.list_runs(ctx.store, started_after=datetime(2030, 1, 1))


def test_items_filter_by_group_and_a_person_has_a_timeline(ctx: Context) -> None:
    items = [_item(Action.CREATE_USER, "ann"), _item(Action.ADD_MEMBER, "ann", "devs"),
             _item(Action.ADD_MEMBER, "bo", "ops")]  # fmt: skip
    first = _record(ctx.store, "p", "succeeded", [Outcome.APPLIED] * 3, items)
    second = _record(ctx.store, "q", "partial", [Outcome.FAILED],
                     [_item(Action.REMOVE_MEMBER, "ann", "devs")])  # fmt: skip

    devs = history.run_view(ctx.store, first, group="devs")
    assert [i.subject for i in devs.items] == ["ann → devs"] and devs.items_total == 1

    timeline = history.person_timeline(ctx.store, "ann")
    assert [e.run.id for e in timeline.entries] == [second, first], "newest run first"
    assert [i.action for i in timeline.entries[1].items] == ["create_user", "add_member"]
    assert timeline.groups()["devs"].action == "remove_member", "the latest word on each group"
    assert history.person_timeline(ctx.store, "id-ann").entries == timeline.entries, "by source id too"
    assert [e.run.id for e in history.person_timeline(ctx.store, "ann", profile="p").entries] == [first]
    few = history.person_timeline(ctx.store, "ann", limit=2)
    assert few.truncated and sum(len(e.items) for e in few.entries) == 2
    with pytest.raises(UnknownName, match="give a target username"):
        history.person_timeline(ctx.store, " ")
