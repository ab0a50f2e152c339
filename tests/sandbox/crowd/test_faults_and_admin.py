"""The shared /_sandbox/ admin API and fault injection on the Crowd emulator: injected errors come in
Crowd's error format, deterministic rules, stats by route, reset back to the generated data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from idsync.sandbox.atlassian.crowd.app import create_app
from idsync.sandbox.atlassian.crowd.options import CrowdOptions, OptionsError
from tests.fixtures.crowd import CrowdFactory


def test_injected_errors_use_crowds_error_body(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    rule = {"path": "/rest/usermanagement/1/group/user/direct", "method": "GET", "skip": 1, "count": 1,
            "status": 500}  # fmt: skip
    with httpx.Client(base_url=crowd.url) as admin:
        assert admin.put("/_sandbox/faults", json={"rules": [rule]}).status_code == 200
    with crowd.client() as client:
        params = {"groupname": "crowd-administrators"}
        first = client.get("/group/user/direct", params=params)
        second = client.get("/group/user/direct", params=params)
        third = client.get("/group/user/direct", params=params)
    assert (first.status_code, second.status_code, third.status_code) == (200, 500, 200)
    assert second.json()["reason"] == "OPERATION_FAILED"


def test_stats_count_by_route_and_reset_restores_the_data(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(users=30, seed=9)
    before = crowd.sandbox.state.dump()
    with crowd.client() as client:
        client.post("/group", json={"name": "new"})
        client.delete("/user", params={"username": "admin"})
    assert crowd.writes() == {"POST /rest/usermanagement/1/group": 1, "DELETE /rest/usermanagement/1/user": 1}
    with httpx.Client(base_url=crowd.url) as admin:
        assert admin.post("/_sandbox/reset").status_code == 204
        state = admin.get("/_sandbox/state").json()
    assert state == httpx.Response(200, json=before).json()
    assert crowd.sandbox.control.stats() == {}


def test_generation_is_deterministic_per_seed() -> None:
    one = create_app(CrowdOptions(users=50, seed=3)).state
    two = create_app(CrowdOptions(users=50, seed=3)).state
    other = create_app(CrowdOptions(users=50, seed=4)).state
    assert list(one.users) == list(two.users)
    assert [u.name for u in one.users.values()] == [u.name for u in two.users.values()]
    assert list(one.users) != list(other.users)
    assert any(g.children for g in one.groups.values())
    assert any(not u.active for u in one.users.values())


@pytest.mark.parametrize(
    "bad",
    [
        {"users": -1},
        {"application": "a:b"},
        {"password": ""},
        {"permissions": {"FLY"}},
        {"read_fail_rate": 2.0},
    ],
)
def test_options_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(OptionsError, match=next(iter(bad))):
        CrowdOptions(**bad)
