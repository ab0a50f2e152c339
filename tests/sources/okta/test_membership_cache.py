"""The group-membership cache (issue 3): a second read of an org reads members only of groups whose
lastMembershipUpdated / lastUpdated moved, and its snapshot equals a full read's. Real emulator over
HTTP, real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from idsync.domain.errors import SourceReadError
from idsync.domain.records import Snapshot
from idsync.sources.okta.cache import CachedGroup
from idsync.store import Store
from tests.sources.okta.conftest import OktaOrg
from tests.sources.okta.test_source import assert_matches_org, read, set_faults

MEMBERS = "GET /api/v1/groups/{id}/users"


async def cached_read(org: OktaOrg, store: Store, **changes: object) -> tuple[Snapshot, int]:
    """A read through the store's cache; returns the snapshot and how many member listings it asked."""
    source = org.source(**changes)
    source.use_cache(store.membership_cache("okta"))
    snapshot = await read(source)
    return snapshot, source.requests[MEMBERS]


def same(a: Snapshot, b: Snapshot) -> None:
    assert a.users == b.users
    assert a.groups == b.groups


def writable_group(org: OktaOrg) -> str:
    state = org.sandbox.state
    return next(
        gid for gid, g in sorted(state.groups.items()) if g.type == "OKTA_GROUP" and state.member_ids(gid)
    )


async def admin(org: OktaOrg, method: str, path: str, json: object = None) -> httpx.Response:
    headers = {"Authorization": f"SSWS {org.sandbox.token}"}
    async with httpx.AsyncClient(base_url=org.url, headers=headers) as client:
        response = await client.request(method, path, json=json)
        response.raise_for_status()
        return response


async def test_unchanged_org_reads_no_members_and_gives_the_full_reads_snapshot(
    okta_org: OktaOrg, store: Store
) -> None:
    groups = len(okta_org.sandbox.state.groups)
    first, asked = await cached_read(okta_org, store)
    assert asked == groups  # empty cache: every group's members
    assert set(store.group_members_cache("okta")) == set(okta_org.sandbox.state.groups)
    second, asked = await cached_read(okta_org, store)
    assert asked == 0
    same(second, first)
    same(second, await read(okta_org.source()))
    assert_matches_org(second, okta_org.sandbox.state)


async def test_membership_and_group_changes_are_all_seen(okta_org: OktaOrg, store: Store) -> None:
    state = okta_org.sandbox.state
    await cached_read(okta_org, store)
    gid = writable_group(okta_org)
    leaver = sorted(state.member_ids(gid))[0]
    joiner = next(uid for uid in sorted(state.users) if uid not in state.member_ids(gid))
    renamed = next(g for g, grp in sorted(state.groups.items()) if grp.type == "OKTA_GROUP" and g != gid)
    doomed = next(
        g for g, grp in sorted(state.groups.items()) if grp.type == "OKTA_GROUP" and g not in (gid, renamed)
    )
    await admin(okta_org, "DELETE", f"/api/v1/groups/{gid}/users/{leaver}")
    await admin(okta_org, "PUT", f"/api/v1/groups/{gid}/users/{joiner}")
    await admin(
        okta_org, "PUT", f"/api/v1/groups/{renamed}", {"profile": {"name": "Renamed by the cache test"}}
    )
    await admin(okta_org, "DELETE", f"/api/v1/groups/{doomed}")
    created = (
        await admin(okta_org, "POST", "/api/v1/groups", {"profile": {"name": "Cache test new"}})
    ).json()
    await admin(okta_org, "PUT", f"/api/v1/groups/{created['id']}/users/{joiner}")

    snapshot, asked = await cached_read(okta_org, store)
    assert asked == 3  # the changed group, the renamed one and the new one; the rest from the cache
    assert leaver not in snapshot.groups[gid].member_ids
    assert joiner in snapshot.groups[gid].member_ids
    assert snapshot.groups[renamed].name == "Renamed by the cache test"
    assert doomed not in snapshot.groups
    assert snapshot.groups[created["id"]].member_ids == frozenset({joiner})
    assert_matches_org(snapshot, state)
    same(snapshot, await read(okta_org.source()))
    cache = store.group_members_cache("okta")
    assert set(cache) == set(state.groups)
    assert cache[gid].member_ids == frozenset(state.member_ids(gid))


async def test_a_failed_read_leaves_the_cache_untouched(okta_org: OktaOrg, store: Store) -> None:
    await cached_read(okta_org, store)
    before = store.group_members_cache("okta")
    gid = writable_group(okta_org)
    await admin(
        okta_org, "DELETE", f"/api/v1/groups/{gid}/users/{sorted(okta_org.sandbox.state.member_ids(gid))[0]}"
    )
    await set_faults(
        okta_org, {"rules": [{"path": f"/api/v1/groups/{gid}/users", "count": 50, "status": 500}]}
    )
    with pytest.raises(SourceReadError, match=gid):
        await cached_read(okta_org, store)
    assert store.group_members_cache("okta") == before


async def test_disabled_cache_reads_every_group(okta_org: OktaOrg, store: Store) -> None:
    await cached_read(okta_org, store)
    _, asked = await cached_read(okta_org, store, full_read_every_hours=0)
    assert asked == len(okta_org.sandbox.state.groups)


async def test_a_cache_older_than_the_limit_forces_a_full_read(okta_org: OktaOrg, store: Store) -> None:
    first, _ = await cached_read(okta_org, store)
    cache = store.group_members_cache("okta")
    # One entry read long ago (the stored read_at is our own clock): the whole cache is too old.
    gid = writable_group(okta_org)
    old = cache[gid]
    stale = CachedGroup(
        gid,
        old.last_membership_updated,
        old.last_updated,
        frozenset(),
        datetime.now(UTC) - timedelta(hours=25),
    )
    store.save_group_members_cache("okta", [stale], set(cache))
    snapshot, asked = await cached_read(okta_org, store, full_read_every_hours=24)
    assert asked == len(okta_org.sandbox.state.groups)
    same(snapshot, first)
    refreshed = store.group_members_cache("okta")[gid]
    assert refreshed.member_ids == old.member_ids
    assert datetime.now(UTC) - refreshed.read_at < timedelta(hours=1)
    # ...and now that it is fresh again, the next read reuses it.
    _, asked = await cached_read(okta_org, store, full_read_every_hours=24)
    assert asked == 0


async def test_app_scoped_reads_ignore_the_cache(okta_org: OktaOrg, store: Store) -> None:
    state = okta_org.sandbox.state
    app_id = next(aid for aid in state.app_ids if state.app_groups[aid])
    await cached_read(okta_org, store, app_id=app_id)
    assert store.group_members_cache("okta") == {}
