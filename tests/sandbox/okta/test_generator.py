"""The deterministic generator: same seed, same org; the documented shape."""

from __future__ import annotations

from collections import Counter

import pytest

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.okta.generator import generate
from idsync.sandbox.okta.options import OktaOptions


def test_same_seed_same_org_and_other_seed_differs() -> None:
    first, second = generate(300, 30, 3, 42, Clock()), generate(300, 30, 3, 42, Clock())
    assert first.user_ids == second.user_ids
    assert [first.users[u].profile for u in first.user_ids] == [
        second.users[u].profile for u in second.user_ids
    ]
    assert first.members == second.members
    assert generate(300, 30, 3, 43, Clock()).user_ids != first.user_ids


def test_shape_of_a_generated_org() -> None:
    state = generate(3000, 120, 4, 8, Clock())
    users = list(state.users.values())
    statuses = Counter(u.status for u in users)
    assert statuses.most_common(1)[0][0] == "ACTIVE"
    assert set(statuses) == {
        "ACTIVE",
        "SUSPENDED",
        "DEPROVISIONED",
        "STAGED",
        "PROVISIONED",
        "LOCKED_OUT",
        "PASSWORD_EXPIRED",
    }
    logins = [u.profile["login"] for u in users]
    assert len(set(logins)) == len(logins)
    assert any(login.split("@")[0][-1].isdigit() for login in logins)  # first.last2@… collisions
    assert all(u.id.startswith("00u") and len(u.id) == 20 for u in users)
    for attr in ("department", "title", "employeeNumber", "costCenter", "displayName"):
        assert all(u.profile[attr] for u in users)
    types = Counter(g.type for g in state.groups.values())
    assert types["BUILT_IN"] == 1
    assert types["APP_GROUP"] >= 1
    sizes = sorted((len(state.members[g]) for g in state.groups if g != state.everyone_id), reverse=True)
    assert sizes[0] > 10 * sizes[len(sizes) // 2]  # a few large department groups, many small teams
    assert all(state.app_users[a] or state.app_groups[a] for a in state.app_ids)
    assert all(a.startswith("0oa") for a in state.app_ids)


def test_empty_org() -> None:
    state = generate(0, 0, 0, 1, Clock())
    assert state.users == {}
    assert [g.profile["name"] for g in state.groups.values()] == ["Everyone"]


def test_memberships_knob_scales_team_sizes_deterministically_and_keeps_the_skew() -> None:
    natural = generate(5000, 200, 2, 5, Clock())
    dense = generate(5000, 200, 2, 5, Clock(), memberships=30_000)
    again = generate(5000, 200, 2, 5, Clock(), memberships=30_000)
    assert dense.members == again.members
    # the knob changes memberships only: same users, same groups
    assert dense.user_ids == natural.user_ids
    names = [(g.type, g.profile["name"]) for g in dense.groups.values()]
    assert names == [(g.type, g.profile["name"]) for g in natural.groups.values()]
    total = sum(len(m) for m in dense.members.values())
    assert abs(total - 30_000) <= 300, total
    assert sum(len(m) for m in natural.members.values()) < 20_000
    teams = [g for g in dense.groups.values() if g.profile["name"].startswith("team-")]
    sizes = sorted((len(dense.members[g.id]) for g in teams), reverse=True)
    assert sizes[0] >= 5 * sizes[len(sizes) // 2]  # still a few large teams and many small ones
    assert all(uid in dense.users for m in dense.members.values() for uid in m)
    assert all(gid in dense.user_groups[uid] for gid, m in dense.members.items() for uid in m)


def test_memberships_beyond_what_the_size_cap_allows_gives_the_cap() -> None:
    state = generate(100, 30, 1, 3, Clock(), memberships=1_000_000)
    teams = [g for g in state.groups.values() if g.profile["name"].startswith(("team-", "ad-"))]
    assert all(len(state.members[g.id]) == 20 for g in teams)  # users // 5


def test_negative_memberships_is_refused_naming_the_option() -> None:
    with pytest.raises(ValueError, match=r"memberships=-1 is invalid: must be 0 or more"):
        OktaOptions(memberships=-1).validate()
