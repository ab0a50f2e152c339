"""Authentication (Basic, access token, the documented 401 body), the caller's name in X-AUSERNAME,
the container's 404 by version, rate limiting, injected faults in Bitbucket's envelope, and the
/_sandbox/ admin API."""

from __future__ import annotations

import httpx
import pytest

FAILED = {
    "errors": [
        {
            "context": None,
            "message": "Authentication failed. Please check your credentials and try again.",
            "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
        }
    ]
}


def test_token_and_basic_auth_identify_the_caller(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        by_token = client.get("/admin/users")
    with bb.client(headers={}, auth=(bb.username, bb.password)) as client:
        by_password = client.get("/admin/users")
    for response in (by_token, by_password):
        assert response.status_code == 200
        assert response.headers["x-ausername"] == "admin"
        assert response.headers["x-auserid"] == "1"


@pytest.mark.parametrize(
    "headers", [{"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWRtaW46bm8="}]
)
def test_bad_credentials_get_the_documented_401_body(bitbucket_sandbox, headers):
    bb = bitbucket_sandbox()
    with bb.client(headers=headers) as client:
        response = client.get("/admin/users")
    assert response.status_code == 401
    assert response.json() == FAILED


def test_anonymous_reads_application_properties_but_not_admin_routes(bitbucket_sandbox):
    bb = bitbucket_sandbox(version="8.19.2")
    with bb.client(headers={}) as client:
        props = client.get("/application-properties")
        admin = client.get("/admin/users")
    assert props.json() == {
        "version": "8.19.2",
        "buildNumber": "8019002",
        "buildDate": "1735689600000",
        "displayName": "Bitbucket",
    }
    assert "x-ausername" not in props.headers
    assert admin.status_code == 401


def test_unknown_paths_get_the_container_404_of_the_version(bitbucket_sandbox):
    new = bitbucket_sandbox(version="10.4.0")
    old = bitbucket_sandbox(version="10.2.1")
    with new.client() as client:
        response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"message": "HTTP 404 Not Found", "status-code": 404, "sub-code": -1}
    with old.client() as client:
        response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/xml")


def test_rate_limit_answers_429_and_lets_through_after_retry_after(bitbucket_sandbox):
    bb = bitbucket_sandbox(rate_limit_requests=2, rate_limit_interval_seconds=10)
    with bb.client() as client:
        codes = [client.get("/admin/users").status_code for _ in range(3)]
        limited = client.get("/admin/users")
        assert codes == [200, 200, 429]
        assert limited.json()["errors"][0]["message"]
        httpx.post(f"{bb.url}/_sandbox/clock", json={"advance_seconds": int(limited.headers["retry-after"])})
        assert client.get("/admin/users").status_code == 200
    assert bb.sandbox.rate_limited == 2


def test_injected_write_failures_use_the_bitbucket_envelope(bitbucket_sandbox):
    bb = bitbucket_sandbox(write_fail_rate=1.0)
    with bb.client() as client:
        write = client.post("/admin/groups", params={"name": "x"})
        read = client.get("/admin/groups")
    assert write.status_code == 500
    assert set(write.json()["errors"][0]) == {"context", "message", "exceptionName"}
    assert read.status_code == 200
    assert bb.sandbox.state.group("x") is None


def test_rules_state_stats_and_reset_over_the_admin_api(bitbucket_sandbox):
    bb = bitbucket_sandbox(users=30)
    admin = f"{bb.url}/_sandbox"
    rule = {"method": "GET", "path": "/rest/api/1.0/admin/users", "skip": 1, "count": 1, "status": 503}
    assert httpx.put(f"{admin}/faults", json={"rules": [rule]}).status_code == 200
    with bb.client() as client:
        codes = [client.get("/admin/users").status_code for _ in range(3)]
        client.post("/admin/groups", params={"name": "temp"})
    assert codes == [200, 503, 200]
    state = httpx.get(f"{admin}/state").json()
    assert "temp" in [g["name"] for g in state["groups"]]
    assert len(state["users"]) == 31
    assert state["licensedUsers"] == bb.sandbox.state.licensed_count()
    assert httpx.get(f"{admin}/stats").json()["POST /rest/api/1.0/admin/groups"] == 1
    assert httpx.post(f"{admin}/reset").status_code == 204
    after = httpx.get(f"{admin}/state").json()
    assert "temp" not in [g["name"] for g in after["groups"]]
    assert after["users"] == state["users"]
    assert httpx.get(f"{admin}/stats").json() == {}


def test_generation_is_deterministic_per_seed(bitbucket_sandbox):
    dumps = []
    for seed in (7, 7, 8):
        bb = bitbucket_sandbox(users=50, seed=seed)
        dump = httpx.get(f"{bb.url}/_sandbox/state").json()
        for user in dump["users"]:
            user.pop("created")
        dumps.append(dump)
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]
