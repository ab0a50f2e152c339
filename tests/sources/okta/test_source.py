"""OktaSource against the Okta emulator over real HTTP: every read is compared with the emulator's own
state, and failures are injected with the emulator's deterministic fault rules."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from idsync.domain.errors import NotFoundError, SourceReadError, StopSyncError
from idsync.domain.records import Snapshot
from idsync.sandbox.common.server import serve_in_thread
from idsync.sandbox.okta.app import create_app
from idsync.sandbox.okta.options import OktaOptions, RateLimitOptions
from idsync.sandbox.okta.state import OktaState
from idsync.sources.okta import OktaSource
from tests.sources.okta.conftest import OktaOrg


class RecordingProgress:
    """A Progress that remembers each bar's total and advances."""

    def __init__(self) -> None:
        self.totals: dict[str, int | None] = {}
        self.done: Counter[str] = Counter()

    def task(self, description: str, total: int | None = None) -> RecordingProgress.Task:
        self.totals[description] = total
        return RecordingProgress.Task(self, description)

    class Task:
        def __init__(self, owner: RecordingProgress, name: str) -> None:
            self.owner, self.name = owner, name

        def advance(self, amount: int = 1) -> None:
            self.owner.done[self.name] += amount

        def set_total(self, total: int | None) -> None:
            self.owner.totals[self.name] = total


async def read(source: OktaSource) -> Snapshot:
    try:
        return await source.read()
    finally:
        await source.aclose()


async def set_faults(org: OktaOrg, body: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=org.url) as client:
        response = await client.put("/_sandbox/faults", json=body)
        response.raise_for_status()


def assert_matches_org(snapshot: Snapshot, state: OktaState) -> None:
    """Every user (any status), every group and every membership of the emulator, nothing more."""
    assert {uid: u.status for uid, u in snapshot.users.items()} == {
        uid: u.status for uid, u in state.users.items()
    }
    for uid, user in state.users.items():
        attributes = snapshot.users[uid].attributes
        assert {k: attributes[k] for k in user.profile} == user.profile
        assert (attributes["id"], attributes["lastUpdated"]) == (uid, user.last_updated)
    assert set(snapshot.groups) == set(state.groups)
    for gid, group in state.groups.items():
        got = snapshot.groups[gid]
        assert (got.name, got.attributes["type"]) == (group.profile["name"], group.type)
        assert got.member_ids == frozenset(state.member_ids(gid)), group.profile["name"]


async def test_full_read_is_the_whole_org(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    assert "DEPROVISIONED" in {u.status for u in state.users.values()}
    progress = RecordingProgress()
    source = okta_org.source()
    try:
        snapshot = await source.read(progress)
    finally:
        await source.aclose()
    assert_matches_org(snapshot, state)
    assert snapshot.scope == "all"
    assert progress.totals == {
        "Okta users": len(state.users),
        "Okta groups": None,
        "Okta memberships (groups read)": len(state.groups),
    }
    assert progress.done["Okta memberships (groups read)"] == len(state.groups)
    # Link paging at 200 users a page: 300 users → 2 pages of the plain list, 1 of DEPROVISIONED.
    assert source.requests["GET /api/v1/users"] == 3
    assert source.requests["GET /api/v1/groups/{id}/users"] == len(state.groups)


async def test_a_user_deactivated_in_okta_is_read_as_deprovisioned(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    victim = next(uid for uid, u in state.users.items() if u.status == "ACTIVE")
    headers = {"Authorization": f"SSWS {okta_org.sandbox.token}"}
    async with httpx.AsyncClient(base_url=okta_org.url, headers=headers) as client:
        response = await client.post(f"/api/v1/users/{victim}/lifecycle/deactivate")
        assert response.status_code in (200, 204)
    snapshot = await read(okta_org.source())
    assert snapshot.users[victim].status == "DEPROVISIONED"
    assert_matches_org(snapshot, state)


async def test_app_scoped_read_is_the_apps_users_and_groups(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    app_id = next(aid for aid in state.app_ids if state.app_groups[aid] and state.app_users[aid])
    snapshot = await read(okta_org.source(app_id=app_id))
    assert snapshot.scope == f"app {app_id}"
    scopes = state.app_user_scopes(app_id)
    assert set(snapshot.users) == set(scopes)
    assert "GROUP" in scopes.values()
    assert set(snapshot.groups) == set(state.app_groups[app_id])
    for gid in state.app_groups[app_id]:
        assert snapshot.groups[gid].member_ids == frozenset(state.member_ids(gid))
    for uid, user in snapshot.users.items():
        assert user.status == state.users[uid].status


async def test_a_500_on_page_3_of_the_user_listing_fails_the_read(okta_org: OktaOrg) -> None:
    await set_faults(okta_org, {"rules": [{"path": "/api/v1/users", "skip": 2, "count": 50, "status": 500}]})
    source = okta_org.source()
    with pytest.raises(SourceReadError) as caught:
        await read(source)
    message = str(caught.value)
    assert "is incomplete, so nothing will be changed" in message
    assert "user list, page" in message
    assert "GET /api/v1/users → 500: Internal Server Error (E0000009" in message
    # Retried (conn.retries = 2) before giving up: 2 good pages + 3 attempts of the failing one.
    assert source.requests["GET /api/v1/users"] == 5


async def test_a_single_500_is_retried_and_the_read_completes(okta_org: OktaOrg) -> None:
    rule = {"path": "/api/v1/groups/*", "skip": 3, "count": 1, "status": 500}
    await set_faults(okta_org, {"rules": [rule]})
    source = okta_org.source()
    snapshot = await read(source)
    assert_matches_org(snapshot, okta_org.sandbox.state)
    assert source.requests["GET /api/v1/groups/{id}/users"] == len(okta_org.sandbox.state.groups) + 1


async def test_a_dropped_connection_fails_the_read(okta_org: OktaOrg) -> None:
    rule = {"path": "/api/v1/groups/*", "skip": 5, "count": 100, "status": 0}
    await set_faults(okta_org, {"rules": [rule]})
    expected = r"members of group '.*' \(00g\w+\), page 1 failed: .*connection"
    with pytest.raises(SourceReadError, match=expected):
        await read(okta_org.source())


async def test_a_bad_token_stops_the_sync(okta_org: OktaOrg) -> None:
    source = okta_org.source(token="00not-a-real-token")
    expected = r"Okta rejected the API token for http://127\.0\.0\.1:\d+ \("
    with pytest.raises(StopSyncError, match=expected) as caught:
        await read(source)
    assert "00not-a-real-token" not in str(caught.value)
    with pytest.raises(StopSyncError, match=r"Okta rejected the API token"):
        await okta_org.source(token="00not-a-real-token").check()


async def test_a_group_scoped_token_sees_only_its_groups(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    chosen = sorted(gid for gid in state.groups if gid != state.everyone_id and state.member_ids(gid))[:2]
    token = okta_org.sandbox.mint_group_token(chosen)
    snapshot = await read(okta_org.source(token=token))
    assert set(snapshot.groups) == set(chosen)
    visible = set().union(*(state.member_ids(gid) for gid in chosen))
    assert set(snapshot.users) == visible
    for gid in chosen:
        assert snapshot.groups[gid].member_ids == frozenset(state.member_ids(gid))


async def test_read_user_by_login_and_by_id(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    uid = next(u for u in state.user_ids if state.user_groups.get(u))
    login = state.users[uid].profile["login"]
    source = okta_org.source()
    try:
        by_login = await source.read_user(login)
        by_id = await source.read_user(uid)
        with pytest.raises(NotFoundError, match=r"has no user 'nobody@example\.com'"):
            await source.read_user("nobody@example.com")
    finally:
        await source.aclose()
    for snapshot in (by_login, by_id):
        assert snapshot.single_user == uid
        assert set(snapshot.users) == {uid}
        assert set(snapshot.groups) == set(state.groups_of(uid))
        assert all(g.member_ids == frozenset({uid}) for g in snapshot.groups.values())


async def test_read_user_in_app_scope_keeps_only_the_apps_groups(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    app_id = next(aid for aid in state.app_ids if state.app_groups[aid])
    scopes = state.app_user_scopes(app_id)
    inside = next(uid for uid, how in scopes.items() if how == "GROUP")
    outside = next(uid for uid in state.user_ids if uid not in scopes)
    source = okta_org.source(app_id=app_id)
    try:
        in_scope = await source.read_user(inside)
        out_of_scope = await source.read_user(outside)
    finally:
        await source.aclose()
    assert set(in_scope.users) == {inside}
    assert set(in_scope.groups) == set(state.groups_of(inside)) & set(state.app_groups[app_id])
    assert out_of_scope.single_user == outside
    assert out_of_scope.users == {}


async def test_check_counts_visible_groups(okta_org: OktaOrg) -> None:
    source = okta_org.source()
    try:
        line = await source.check()
    finally:
        await source.aclose()
    assert line == f"Okta {okta_org.url}: token OK, {len(okta_org.sandbox.state.groups)} groups visible"
    assert sum(source.requests.values()) == 1


async def test_rate_limit_is_waited_out_until_the_reset() -> None:
    # Two user-list requests a second: the 450-user read (3 pages + DEPROVISIONED) must hit a 429.
    limits = RateLimitOptions(buckets={"users": 2}, window_seconds=1.0)
    options = OktaOptions(users=450, groups=3, apps=0, seed=3, rate_limit=limits)
    sandbox = create_app(options)
    server = serve_in_thread(sandbox.app)
    try:
        org = OktaOrg(sandbox, server)
        source = org.source(retries=3)
        snapshot = await read(source)
        assert_matches_org(snapshot, sandbox.state)
        assert source.rate_limited >= 1
    finally:
        server.stop()


async def test_check_in_app_scope_names_the_app(okta_org: OktaOrg) -> None:
    state = okta_org.sandbox.state
    app_id = next(aid for aid in state.app_ids if state.app_groups[aid] and state.app_users[aid])
    source = okta_org.source(app_id=app_id)
    try:
        line = await source.check()
    finally:
        await source.aclose()
    groups = len(state.app_groups[app_id])
    assert line == f"Okta {okta_org.url}: token OK, app {app_id}: {groups} groups, users assigned"
