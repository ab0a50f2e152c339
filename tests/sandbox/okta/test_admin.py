"""The /_sandbox/ admin API on the Okta emulator: faults in Okta's error format, clock, state,
reset and stats."""

from __future__ import annotations

from collections.abc import Callable

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import assert_error, create_user

Start = Callable[..., RunningOkta]


def test_fault_rule_fails_the_third_page_with_an_okta_500(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=50, seed=1)
    with okta.client() as client:
        rule = {"rules": [{"path": "/api/v1/users", "skip": 2, "count": 1, "status": 500}]}
        assert client.put("/_sandbox/faults", json=rule).status_code == 200
        statuses = [client.get("/api/v1/users", params={"limit": 5}).status_code for _ in range(4)]
        failed = [client.get("/api/v1/users")]  # the rule fired once: this one passes
        assert statuses == [200, 200, 500, 200]
        assert failed[0].status_code == 200
        client.put("/_sandbox/faults", json={"read_fail_rate": 1.0})
        body = assert_error(client.get("/api/v1/groups"), 500, "E0000009")
        assert body["errorSummary"] == "Internal Server Error"
        client.put("/_sandbox/faults", json={"read_fail_rate": 0.0, "fail_status": 503})
        assert client.put("/_sandbox/faults", json={"nonsense": 1}).status_code == 400


def test_clock_state_reset_and_stats(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=10, groups=3, apps=1, seed=6)
    with okta.client() as client:
        generated = client.get("/_sandbox/state").json()
        assert len(generated["users"]) == 10
        assert len(generated["groups"]) == 4
        user = create_user(client, "Temp", "Orary")
        stepped = client.post("/_sandbox/clock", json={"advance_seconds": 86400}).json()["now"]
        assert stepped[:10] > user["created"][:10]
        later = client.post(f"/api/v1/users/{user['id']}", json={"profile": {"title": "x"}}).json()
        assert later["lastUpdated"][:10] == stepped[:10]
        stats = client.get("/_sandbox/stats").json()
        assert stats["POST /api/v1/users/{user}"] == 1
        assert client.post("/_sandbox/reset").status_code == 204
        assert client.get("/_sandbox/state").json() == generated
        assert_error(client.get(f"/api/v1/users/{user['id']}"), 404, "E0000007")
        assert client.get("/api/v1/logs").json() == []
        assert client.get("/_sandbox/stats").json() == {"GET /api/v1/users/{user}": 1, "GET /api/v1/logs": 1}
        assert "s3cret" not in client.get("/_sandbox/state").text
