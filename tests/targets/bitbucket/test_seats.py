"""BitbucketTarget's licence seats against the Bitbucket emulator: /admin/license gives the seats left
(unlimited as such), the licence-granting groups are the pool's groups and each user read says whether
it holds a seat; a creation takes none by itself, a licence group or a licence given back does, once
per user; the guard refuses what does not fit, which Bitbucket would refuse with 403 item by item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from idsync.config.connections import BitbucketConnection
from idsync.config.profiles import SafetyRules
from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Action, Change, Plan, PlanItem, SeatCount
from idsync.domain.progress import NO_PROGRESS
from idsync.domain.records import Reason, SeatPool, StateQuery
from idsync.engine.diff_seats import seat_counts
from idsync.engine.guards import check
from idsync.targets.bitbucket import BitbucketTarget
from idsync.targets.bitbucket.target import BITBUCKET_CAPABILITIES
from tests.fixtures.bitbucket import BitbucketFactory

WHY = Reason("test", "built by hand")
LICENCE_GROUPS = frozenset({"stash-users", "bitbucket-administrators"})


def _item(action: Action, user: str, group: str | None = None, key: str | None = None) -> PlanItem:
    changes = (Change("email", None, f"{user}@x.io"), Change("display_name", None, user.title())) \
        if action is Action.CREATE_USER else ()
    return PlanItem(action, "bb", WHY, user=user, user_key=key, source_id=f"u-{user}", group=group,
                    changes=changes)


def _plan(*counts: SeatCount) -> Plan:
    return Plan(profile="p", created_at=datetime(2026, 1, 5, tzinfo=UTC), items=(), source="okta",
                source_users=10, source_groups=0, seats=counts)


async def test_new_and_returning_users_past_the_seats_left_are_refused(
    bitbucket_sandbox: BitbucketFactory,
) -> None:
    bb = bitbucket_sandbox(licensed_users=3)  # the admin holds one
    target = BitbucketTarget("bb", BitbucketConnection.model_validate(
        {"type": "bitbucket", "url": bb.url, "token": bb.token}))
    try:
        for name in ("ann", "bob"):
            await target.execute(_item(Action.CREATE_USER, name))
        await target.execute(_item(Action.ADD_MEMBER, "ann", "stash-users"))
        query = StateQuery(usernames=frozenset({"ann", "bob", "cid"}), groups=frozenset({"stash-users"}),
                           seats=True)
        state = await target.read_state(query, NO_PROGRESS)
        assert state.seats == (SeatPool("bitbucket", "Bitbucket", 1, LICENCE_GROUPS),)
        seats = {u.username: u.seats for u in state.users.values()}
        assert seats == {"ann": frozenset({"bitbucket"}), "bob": frozenset()}
        bob = next(key for key, u in state.users.items() if u.username == "bob")
        items = (
            _item(Action.CREATE_USER, "cid"), _item(Action.ADD_MEMBER, "cid", "stash-users"),
            _item(Action.CREATE_USER, "dan"),  # no licence group: no seat
            _item(Action.RESTORE_LICENCE, "bob", "stash-users", bob),
            _item(Action.RESTORE_LICENCE, "bob", "bitbucket-administrators", bob),
            _item(Action.ADD_MEMBER, "ann", "bitbucket-administrators"),  # holds a seat already
        )
        (count,) = seat_counts(items, state, BITBUCKET_CAPABILITIES)
        assert (count.needed, count.left, count.users) == (2, 1, ("bob", "cid"))
        report = check(_plan(count), SafetyRules(), allow_over_limit=False, previous_source_users=None)
        assert report.refused and "2 users" in report.message and "1 seat left" in report.message

        # what the guard prevents: the second seat is refused by Bitbucket itself
        await target.execute(_item(Action.RESTORE_LICENCE, "bob", "stash-users", bob))
        await target.execute(_item(Action.CREATE_USER, "cid"))
        with pytest.raises(BadRequestError, match="license limit"):
            await target.execute(_item(Action.ADD_MEMBER, "cid", "stash-users"))
    finally:
        await target.aclose()


async def test_an_unlimited_licence_has_no_seats_left_figure(bitbucket_sandbox: BitbucketFactory) -> None:
    bb = bitbucket_sandbox()
    target = BitbucketTarget("bb", BitbucketConnection.model_validate(
        {"type": "bitbucket", "url": bb.url, "token": bb.token}))
    try:
        state = await target.read_state(StateQuery(seats=True), NO_PROGRESS)
        assert state.seats == (SeatPool("bitbucket", "Bitbucket", None, LICENCE_GROUPS),)
        assert (await target.read_state(StateQuery(), NO_PROGRESS)).seats == (), "read only when asked"
    finally:
        await target.aclose()
