"""ConfluenceTarget's licence seats against the Confluence emulator: the read reports the seats left
(unlimited as such, unreadable as a reason), the engine counts creations and reactivations against
them and the guard refuses a plan that does not fit — which the target would otherwise refuse halfway
(402 past the last seat)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from idsync.config.connections import ConfluenceConnection
from idsync.config.profiles import SafetyRules
from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Action, Change, Plan, PlanItem, SeatCount
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, SeatPool, StateQuery
from idsync.engine.diff_seats import seat_counts, seat_notes
from idsync.engine.guards import check
from idsync.targets.confluence import CONFLUENCE_CAPABILITIES, ConfluenceTarget
from tests.fixtures.confluence import ConfluenceFactory, RunningConfluence

WHY = Reason("test", "built by hand")


def _connect(confluence: RunningConfluence, **auth: Any) -> ConfluenceTarget:
    fields: dict[str, Any] = {"type": "confluence", "url": confluence.url}
    fields.update(auth or {"token": confluence.token})
    return ConfluenceTarget("confluence", ConfluenceConnection.model_validate(fields))


def _plan(*counts: SeatCount) -> Plan:
    return Plan(profile="p", created_at=datetime(2026, 1, 5, tzinfo=UTC), items=(), source="okta",
                source_users=10, source_groups=0, seats=counts)


def _create(name: str) -> PlanItem:
    changes = (Change("email", None, f"{name}@x.io"), Change("display_name", None, name.title()))
    return PlanItem(Action.CREATE_USER, "confluence", WHY, user=name, source_id=f"u-{name}", changes=changes)


async def test_creations_and_a_reactivation_past_the_seats_left_are_refused(
    confluence_sandbox: ConfluenceFactory,
) -> None:
    confluence = confluence_sandbox(licensed_users=4)  # the admin holds one
    target = _connect(confluence)
    try:
        await target.execute(_create("old"))
        old = PlanItem(Action.DEACTIVATE_USER, "confluence", WHY, user="old", source_id="u-old")
        await target.execute(old)
        state = await target.read_state(StateQuery(usernames=frozenset({"old", "ann", "bob"}), seats=True),
                                        NO_PROGRESS)
        assert state.seats == (SeatPool("confluence", "Confluence", 3, on_create=True),)
        back = PlanItem(Action.REACTIVATE_USER, "confluence", WHY, user="old",
                        user_key=next(iter(state.users)), source_id="u-old")
        items = (_create("ann"), _create("bob"), _create("cid"), back)
        (count,) = seat_counts(items, state, CONFLUENCE_CAPABILITIES)
        assert (count.needed, count.left, count.users) == (4, 3, ("ann", "bob", "cid", "old"))
        report = check(_plan(count), SafetyRules(), allow_over_limit=False, previous_source_users=None)
        assert report.refused and "4 users" in report.message and "3 seats left" in report.message

        # what the guard prevents: Confluence refuses the creation past the last seat (402)
        for name in ("ann", "bob", "cid"):
            await target.execute(_create(name))
        with pytest.raises(BadRequestError) as refused:
            await target.execute(_create("dan"))
        assert refused.value.status == 402
    finally:
        await target.aclose()


async def test_an_unlimited_licence_and_an_unreadable_one(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    target = _connect(confluence)
    try:
        await target.execute(_create("ann"))
        state = await target.read_state(StateQuery(seats=True), NO_PROGRESS)
        assert state.seats == (SeatPool("confluence", "Confluence", None, on_create=True),)
        assert (await target.read_state(StateQuery(), NO_PROGRESS)).seats == (), "read only when asked"
    finally:
        await target.aclose()
    confluence.sandbox.state.user_by_name("ann").password = "pw-ann-1"
    plain = _connect(confluence, username="ann", password="pw-ann-1")
    try:
        state = await plain.read_state(StateQuery(seats=True), NO_PROGRESS)
    finally:
        await plain.aclose()
    assert state.seats == () and state.seats_unread is not None and "403" in state.seats_unread
    assert "could not be read" in seat_notes(state, CONFLUENCE_CAPABILITIES)[0]
