"""Acceptance 4: Okta Event Hooks end to end, with the Okta emulator's own hook sender.

The hook is registered, verified and activated through the Okta API by `idsync check
--register-hooks` against `idsync serve` in its own process; from then on changes made in Okta reach
Jira with no run started by anyone (history shows trigger "hook" only). A delivery with a wrong or
missing Authorization header is refused with 401 and syncs nothing; a delivery Okta repeats syncs
once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.hooks.world import HookWorld, eventually, make_world, serving


@pytest.fixture
def world(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> Iterator[HookWorld]:
    okta = okta_sandbox(hook_batch_ms=50)
    jira = jira_sandbox()
    with serving(make_world(tmp_path, okta, jira), tmp_path) as running:
        yield running


def _sample(text: str, line_start: str) -> float:
    """The value of the exposition line starting with `line_start` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_suspension_profile_change_and_group_removal_reach_jira_with_no_run_started(world: HookWorld) -> None:
    assert world.jira_user("alice").active and "carol" in world.jira_members("team-ops")
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{world.ids['alice']}/lifecycle/suspend").raise_for_status()
        eventually(lambda: not world.jira_user("alice").active, "the suspension did not reach Jira")

        bob = f"/api/v1/users/{world.ids['bob']}"
        okta.post(bob, json={"profile": {"lastName": "Renamed"}}).raise_for_status()
        eventually(lambda: world.jira_user("bob").display_name == "Bob Renamed", "no profile change in Jira")

        okta.delete(f"/api/v1/groups/{world.ids['team-ops']}/users/{world.ids['carol']}").raise_for_status()
        eventually(lambda: "carol" not in world.jira_members("team-ops"), "no group removal in Jira")

    runs = world.settled_runs(trigger="hook")
    assert [r.trigger for r in world.runs()] == ["manual"] + ["hook"] * len(runs)
    assert len(runs) == 3 and all(r.status == "succeeded" for r in runs)
    # All three are single-user syncs: leaving a group too (Jira reports the user's current groups,
    # so the run sees the one carol left although Okta's single-user read names only those she is in).
    assert [r.source_users for r in runs] == [1, 1, 1]
    assert [dict(r.counts_by_action) for r in runs] == [
        {"deactivate_user": 1}, {"update_user": 1}, {"remove_member": 1}
    ]
    assert "carol" in world.jira_members("team-eng") and world.jira_user("carol").active
    assert world.stop() == 0


def test_a_wrong_authorization_header_is_401_and_syncs_nothing(world: HookWorld) -> None:
    world.set_hook_active(False)  # Okta sends nothing now: the test delivers by hand
    with world.okta_api() as okta:
        okta.post(f"/api/v1/users/{world.ids['alice']}/lifecycle/suspend").raise_for_status()
    event = world.last_event("user.lifecycle.suspend")

    assert world.deliver([event], secret="wrong-" + world.env["OKTA_HOOK_SECRET"]) == 401
    assert world.deliver([event], secret=world.env["OKTA_HOOK_SECRET"][:-1]) == 401
    assert world.deliver([event], secret=None) == 401
    text = world.metrics()
    assert _sample(text, 'idsync_hook_deliveries_total{connection="okta",status="401"}') == 3
    assert _sample(text, 'idsync_hook_events_total{connection="okta",result="queued"}') == 0
    assert world.runs(trigger="hook") == [] and world.jira_user("alice").active

    # The same event with the right secret is taken (so it was never marked as seen) and syncs.
    assert world.deliver([event], secret=world.env["OKTA_HOOK_SECRET"]) == 200
    eventually(lambda: not world.jira_user("alice").active, "the accepted delivery did not sync")
    assert len(world.settled_runs()) == 1


def test_a_repeated_delivery_syncs_once(world: HookWorld) -> None:
    world.set_hook_active(False)
    with world.okta_api() as okta:
        bob = f"/api/v1/users/{world.ids['bob']}"
        okta.post(bob, json={"profile": {"lastName": "Twice"}}).raise_for_status()
    event = world.last_event("user.account.update_profile")
    secret = world.env["OKTA_HOOK_SECRET"]

    # Okta's retry re-sends the same envelope; a later delivery may carry the same event again.
    assert world.deliver([event], secret=secret, event_id="delivery-1") == 200
    assert world.deliver([event], secret=secret, event_id="delivery-1") == 200
    assert world.deliver([event], secret=secret, event_id="delivery-2") == 200

    eventually(lambda: world.jira_user("bob").display_name == "Bob Twice", "the change did not reach Jira")
    duplicates = 'idsync_hook_events_total{connection="okta",result="duplicate"}'
    eventually(lambda: _sample(world.metrics(), duplicates) == 2, "the repeats were not recognised")
    runs = world.settled_runs()
    assert len(runs) == 1 and runs[0].status == "succeeded"
    assert _sample(world.metrics(), 'idsync_hook_events_total{connection="okta",result="queued"}') == 1
