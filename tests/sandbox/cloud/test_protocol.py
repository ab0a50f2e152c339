"""What every request meets: the directory API key, the directory id of the path, content types,
SCIM error bodies for unknown paths and methods, the rate limit (429 + Retry-After), injected faults,
latency, request statistics and the /_sandbox/ admin API; and the discovery documents."""

from __future__ import annotations

import httpx

from tests.fixtures.cloud import CloudFactory
from tests.sandbox.cloud.payloads import ATLASSIAN, CORE_GROUP, CORE_USER, ENTERPRISE, ERROR, patch, user


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    detail: str = body["detail"]
    assert detail
    return detail


def test_only_the_directory_api_key_as_bearer_is_accepted(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=2, token="k3y")
    url = f"{cloud.url}/Users"
    good = httpx.get(url, headers={"Authorization": "Bearer k3y"})
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "non-token"},
                    {"Authorization": "Basic azN5Og=="}):  # fmt: skip
        response = httpx.get(url, headers=headers)
        assert "API key" in _error(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert good.status_code == 200


def test_another_directory_id_an_unknown_path_and_method_are_scim_errors(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    headers = {"Authorization": f"Bearer {cloud.token}"}
    other = httpx.get(f"{cloud.root}/scim/directory/not-mine/Users", headers=headers)
    with cloud.client() as client:
        unknown = client.get("Bulk")
        method = client.post("ServiceProviderConfig", json={})
    _error(other, 404)
    _error(unknown, 404)
    _error(method, 405)


def test_request_content_types(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    body = httpx.Request("POST", "x", json=user("a")).content
    with cloud.client() as client:
        scim_json = client.post(
            "Users", content=body, headers={"content-type": "application/scim+json; charset=utf-8"}
        )
        plain_json = client.post("Users", json=user("b"))
        text = client.post("Users", content=body, headers={"content-type": "text/plain"})
        not_object = client.post("Users", json=[user("c")])
    assert scim_json.status_code == plain_json.status_code == 201
    assert scim_json.headers["content-type"] == "application/scim+json"
    assert "application/scim+json" in _error(text, 415)
    assert not_object.status_code == 400 and not_object.json()["scimType"] == "invalidSyntax"


def test_service_provider_config(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(max_results=50)
    with cloud.client() as client:
        config = client.get("ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 50}
    assert config["changePassword"] == config["sort"] == config["etag"] == {"supported": False}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]


def test_schemas_and_resource_types(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        schemas = client.get("Schemas").json()
        enterprise = client.get(f"Schemas/{ENTERPRISE}").json()
        by_case = client.get(f"Schemas/{CORE_USER.upper()}")
        missing = client.get("Schemas/urn:nope")
        types = client.get("ResourceTypes").json()
        user_type = client.get("ResourceTypes/User").json()
        group_type = client.get("ResourceTypes/Group").json()
        no_type = client.get("ResourceTypes/Device")
    assert {s["id"] for s in schemas["Resources"]} == {CORE_USER, CORE_GROUP, ENTERPRISE, ATLASSIAN}
    assert schemas["totalResults"] == 4
    assert {a["name"] for a in enterprise["attributes"]} >= {"department", "organization", "employeeNumber"}
    core = next(s for s in schemas["Resources"] if s["id"] == CORE_USER)
    assert {"userName", "department", "organization", "timezone", "preferredLanguage"} <= {
        a["name"] for a in core["attributes"]
    }
    assert by_case.status_code == 200
    _error(missing, 404)
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert user_type["endpoint"] == "/Users" and user_type["schema"] == CORE_USER
    assert {e["schema"] for e in user_type["schemaExtensions"]} == {ENTERPRISE, ATLASSIAN}
    assert group_type["endpoint"] == "/Groups"
    _error(no_type, 404)


def test_rate_limit_answers_429_with_retry_after_until_the_clock_moves(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(rate_limit=0.01, rate_limit_burst=2)
    with cloud.client() as client:
        allowed = [client.get("Users").status_code for _ in range(2)]
        refused = client.get("Users")
        wait = int(refused.headers["retry-after"])
        httpx.post(f"{cloud.root}/_sandbox/clock", json={"advance_seconds": wait}).raise_for_status()
        after = client.get("Users")
    assert allowed == [200, 200]
    assert "rate limit" in _error(refused, 429)
    assert 1 <= wait <= 100
    assert after.status_code == 200
    assert cloud.sandbox.auth.limiter is not None and cloud.sandbox.auth.limiter.rejected == 1


def test_no_rate_limit_by_default(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        codes = {client.get("ServiceProviderConfig").status_code for _ in range(50)}
    assert codes == {200}
    assert cloud.sandbox.auth.limiter is None


def test_injected_faults_are_scim_errors_and_writes_are_not_applied(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(write_fail_rate=1.0)
    with cloud.client() as client:
        write = client.post("Users", json=user("jdoe"))
        read = client.get("Users")
    assert write.status_code == 500
    assert write.json() == {"schemas": [ERROR], "status": "500",
                            "detail": "Internal server error (injected by the idsync sandbox)"}  # fmt: skip
    assert read.status_code == 200 and cloud.sandbox.state.users == {}


def test_fault_rules_latency_stats_and_reset(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=5)
    admin = f"{cloud.root}/_sandbox"
    path = f"{cloud.sandbox.base_path}/Users"
    rule = {"method": "GET", "path": path, "skip": 1, "count": 1, "status": 503}
    assert httpx.put(f"{admin}/faults", json={"rules": [rule], "latency_ms": 5}).status_code == 200
    with cloud.client() as client:
        codes = [client.get("Users").status_code for _ in range(3)]
        uid = client.post("Users", json=user("jdoe")).json()["id"]
        client.patch(f"Users/{uid}", json=patch({"op": "replace", "path": "active", "value": False}))
    assert codes == [200, 503, 200]
    assert cloud.requests()["GET /Users"] == 2
    assert cloud.writes() == {"POST /Users": 1, "PATCH /Users/{user_id}": 1}
    assert httpx.get(f"{admin}/faults").json()["latency_ms"] == 5
    state = httpx.get(f"{admin}/state").json()
    assert len(state["users"]) == 6 and "site-admins" in state["orgGroups"]
    assert httpx.post(f"{admin}/reset").status_code == 204
    assert len(cloud.sandbox.state.users) == 5 and cloud.writes() == {}
    assert httpx.get(f"{admin}/faults").json()["latency_ms"] == 0


def test_latency_option_reaches_the_fault_settings(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(latency_ms=10)
    with cloud.client() as client:
        assert client.get("ServiceProviderConfig").status_code == 200
    assert cloud.sandbox.control.faults.latency_ms == 10
