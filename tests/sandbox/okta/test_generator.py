"""The deterministic generator: same seed, same org; the documented shape."""

from __future__ import annotations

from collections import Counter

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.okta.generator import generate


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
