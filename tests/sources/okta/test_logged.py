"""What the System Log says changed (idsync.sources.okta.logged): events in published order, failed
events skipped, the group found as the target that is not a User, and the member count as the proof."""

from __future__ import annotations

from typing import Any

import pytest

from idsync.sources.okta.logged import LoggedChanges
from idsync.sources.okta.models import WireError


def event(kind: str, published: str, user: str, group: str | None = None, result: str = "SUCCESS",
          group_type: str = "UserGroup") -> dict[str, Any]:
    targets: list[dict[str, Any]] = [{"id": user, "type": "User"}]
    if group is not None:
        targets.append({"id": group, "type": group_type})
    return {"eventType": kind, "published": published, "outcome": {"result": result}, "target": targets}


ADD, REMOVE = "group.user_membership.add", "group.user_membership.remove"


def test_the_last_published_event_about_a_membership_wins_whatever_order_the_page_gives() -> None:
    logged = LoggedChanges()
    logged.take([
        event(REMOVE, "2026-12-01T10:00:02.000Z", "u1", "g1"),
        event(ADD, "2026-12-01T10:00:01.000Z", "u1", "g1"),
        event(ADD, "2026-12-01T10:00:03.000Z", "u2", "g1"),
    ])
    assert logged.memberships == {"g1": {"u1": False, "u2": True}}
    assert logged.members_now(frozenset({"u1", "u3"}), "g1", 2) == frozenset({"u2", "u3"})


def test_a_count_the_log_does_not_explain_means_the_group_is_read() -> None:
    logged = LoggedChanges()
    logged.take([event(ADD, "2026-12-01T10:00:01.000Z", "u2", "g1")])
    assert logged.members_now(frozenset({"u1"}), "g1", 3) is None
    assert logged.members_now(frozenset({"u1"}), "g1", None) is None  # no count: no proof


def test_failed_events_are_skipped_and_the_group_target_type_is_not_relied_on() -> None:
    logged = LoggedChanges()
    logged.take([
        event(ADD, "2026-12-01T10:00:01.000Z", "u1", "g1", result="FAILURE"),
        event(ADD, "2026-12-01T10:00:02.000Z", "u2", "g2", group_type="Group"),
    ])
    assert logged.memberships == {"g2": {"u2": True}}


def test_deleted_users_leave_every_group_and_everyone_gains_the_joined() -> None:
    logged = LoggedChanges()
    logged.take([event("user.lifecycle.delete.initiated", "2026-12-01T10:00:01.000Z", "u1")])
    assert logged.deleted == {"u1"}
    assert logged.members_now(frozenset({"u1", "u2"}), "g1", 1) == frozenset({"u2"})
    everyone = logged.members_now(frozenset({"u1", "u2"}), "everyone", 3, joined=["u3", "u4"])
    assert everyone == frozenset({"u2", "u3", "u4"})


def test_a_page_that_is_not_events_is_an_error() -> None:
    with pytest.raises(WireError, match="log event"):
        LoggedChanges().take(["not an event"])
