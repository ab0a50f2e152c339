"""The rules stage of a run reuses the stored outcome of the snapshot it merged onto, Okta → Jira over
HTTP: every run stores what the rules made of its snapshot; a run between full reads evaluates only the
people its read changed and takes everyone else from there; a full read, other rules or another stored
snapshot evaluate everyone. (That the reused outcome plans exactly what a full read plans is
tests/engine/test_run_incremental.py's property; that evaluating only the changed people gives what
evaluating everyone gives is tests/rules/test_reuse.py's.)

To see which people a run took from the stored outcome, the tests below store one that differs from
what the rules make for one person who did not change: a run that reuses it plans that difference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from idsync.domain.outcome import PeopleOutcome
from idsync.domain.plan import Action
from idsync.engine.rules_stage import outcome_key
from idsync.store.outcomes import encode
from idsync.store.records import RunStatus
from tests.engine.e2e import World, make_world
from tests.fixtures.sandbox import RunningJira, RunningOkta

NOW = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.fixture
def world(okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
          store_url: str) -> World:
    """40 generated Okta people in 6 groups, synced once into an empty Jira."""
    okta = okta_sandbox(users=40, groups=6, apps=0, seed=31)
    jira = jira_sandbox(users=0, projects=1, seed=31)
    made = make_world(okta, jira, store_url)
    assert made.sync().status is RunStatus.SUCCEEDED
    return made


def _active(world: World, skip: int = 0) -> str:
    users = sorted(world.okta.sandbox.state.users.items())
    return [uid for uid, user in users if user.status == "ACTIVE"][skip]


def _store_outcome_with(world: World, uid: str, display_name: str, *, key: str | None = None,
                        mark: str | None = None) -> None:
    """Store the outcome the last run stored, but for `uid`'s display name (under its key and of its
    snapshot, unless told otherwise)."""
    profile = world.config.profiles["p"]
    stored = world.store.rules_outcome("p", outcome_key(profile))
    assert stored is not None
    people = dict(stored.outcome.users)
    people[uid] = replace(people[uid], display_name=display_name)
    tampered = PeopleOutcome(people, stored.outcome.skipped, stored.outcome.out_of_scope)
    world.store.save_rules_outcome("p", key or outcome_key(profile), mark or stored.snapshot_mark,
                                   encode(tampered), saved_at=NOW)


def _rename(world: World, uid: str, display_name: str) -> None:
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": display_name}}).raise_for_status()


def _renamed(world: World) -> dict[str, str | bool | None]:
    """Username → new display name, of the last run's user updates."""
    report = world.reports[-1]
    assert report.plan is not None
    return {item.user or "": change.new for item in report.plan.items if item.action is Action.UPDATE_USER
            for change in item.changes if change.field == "display_name"}


def test_a_run_stores_what_the_rules_made_of_the_snapshot_it_planned_from(world: World) -> None:
    stored = world.store.rules_outcome("p", outcome_key(world.config.profiles["p"]))
    snapshot = world.store.source_snapshot("okta")

    assert stored is not None and snapshot is not None
    assert stored.snapshot_mark == snapshot.mark
    assert set(stored.outcome.users) | stored.outcome.out_of_scope | set(stored.outcome.skipped) \
        == set(snapshot.snapshot.users)

    _rename(world, _active(world), "Renamed")
    assert world.sync().status is RunStatus.SUCCEEDED
    again = world.store.rules_outcome("p", outcome_key(world.config.profiles["p"]))
    now = world.store.source_snapshot("okta")
    assert again is not None and now is not None and now.mark != snapshot.mark
    assert again.snapshot_mark == now.mark  # stored anew, of the snapshot the change made


def test_a_run_between_full_reads_takes_the_unchanged_people_from_the_stored_outcome(world: World) -> None:
    unchanged, changed = _active(world, 0), _active(world, 1)
    _store_outcome_with(world, unchanged, "From the stored outcome")
    _rename(world, changed, "Changed in Okta")

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    # the changed person was evaluated afresh, the unchanged one taken as stored
    assert _renamed(world) == {world.okta_username(changed): "Changed in Okta",
                               world.okta_username(unchanged): "From the stored outcome"}

    # a full read evaluates everyone: the stored outcome's difference is undone
    full = world.sync(full_read=True)
    assert full.status is RunStatus.SUCCEEDED, full.error
    assert world.okta_username(unchanged) in _renamed(world)
    assert _renamed(world)[world.okta_username(unchanged)] != "From the stored outcome"


@pytest.mark.parametrize("other", ["key", "mark"])
def test_an_outcome_made_under_other_rules_or_of_another_snapshot_is_not_used(
    world: World, other: str
) -> None:
    unchanged, changed = _active(world, 0), _active(world, 1)
    if other == "key":  # as after the profile was edited, or idsync upgraded
        _store_outcome_with(world, unchanged, "From the stored outcome", key="other rules")
    else:  # as after another profile's read stored another snapshot of the connection
        _store_outcome_with(world, unchanged, "From the stored outcome", mark="another snapshot")
    _rename(world, changed, "Changed in Okta")

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    assert _renamed(world) == {world.okta_username(changed): "Changed in Okta"}
