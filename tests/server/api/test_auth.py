"""Every route of the REST API needs a bearer API token, enumerated from the served OpenAPI document so
a new route cannot be forgotten: no token, a wrong one and a revoked one all get 401; /healthz is open.
`idsync api token create|list|revoke` as an admin runs them."""

from __future__ import annotations

import json
import re
import time

import httpx

from tests.server.api.serving import API, ApiServer


def _routes(document: dict[str, object]) -> list[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    found = []
    for path, operations in paths.items():
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        found += [(method.upper(), concrete) for method in operations]
    return sorted(found)


def test_openapi_is_served_and_every_route_needs_a_valid_token(api: ApiServer) -> None:
    document = httpx.get(f"{api.url}{API}/openapi.json", timeout=10).json()
    assert document["info"]["title"] == "idsync"
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    routes = _routes(document)
    assert ("POST", "/profiles/x/users/x/sync") in routes and ("GET", "/runs") in routes
    assert len(routes) >= 13

    revoked = api.new_token("short-lived")
    with api.client(revoked) as client:
        assert client.get("/profiles").status_code == 200, "the new token works before its revocation"
    gone = api.idsync("api", "token", "revoke", "short-lived")
    assert gone.returncode == 0 and "revoked" in gone.stdout

    for token in (None, "ids_not-a-token", revoked):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path in routes:
            url = f"{api.url}{API}{path}"
            response = httpx.request(method, url, headers=headers, timeout=10)
            if token == revoked and response.status_code != 401:
                response = _after_cache(method, url, headers)
            assert response.status_code == 401, (method, path, token is None, response.text)
            assert response.json()["error"]["field"] == "Authorization"
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
    with api.client() as client:
        assert client.get("/profiles").status_code == 200
    assert revoked not in api.log.read_text() and api.token not in api.log.read_text()


def _after_cache(method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    """The server reuses its view of the active tokens for 2 s: wait for the revocation to show."""
    deadline = time.monotonic() + 30
    while True:
        response = httpx.request(method, url, headers=headers, timeout=10)
        if response.status_code == 401 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_api_token_commands(api: ApiServer) -> None:
    made = api.idsync("api", "token", "create", "sso-plugin")
    assert made.returncode == 0, made.stderr
    token = made.stdout.splitlines()[-1]
    assert token.startswith("ids_") and len(token) > 40 and token not in made.stderr
    again = api.idsync("api", "token", "create", "sso-plugin")
    assert again.returncode == 2 and "exists already" in again.stderr and token not in again.stderr
    listed = json.loads(api.idsync("api", "token", "list", "--json").stdout)
    assert {t["name"]: t["active"] for t in listed} == {"sso-plugin": True, "tests": True}
    assert token not in json.dumps(listed)
    assert api.idsync("api", "token", "revoke", "sso-plugin").returncode == 0
    missing = api.idsync("api", "token", "revoke", "sso-plugin")
    assert missing.returncode == 2 and "active: tests" in missing.stderr
    human = api.idsync("api", "token", "list")
    assert "sso-plugin" in human.stdout and "revoked" in human.stdout


def test_errors_name_the_field_and_the_valid_values(api: ApiServer) -> None:
    with api.client() as client:
        unknown = client.get("/profiles/nope")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["valid"] == ["p"] and "'nope'" in unknown.json()["error"]["message"]
        bad_status = client.get("/runs", params={"status": "done"})
        assert bad_status.status_code == 422
        error = bad_status.json()["error"]
        assert error["field"] == "status" and "succeeded" in error["valid"] and "'done'" in error["message"]
        bad_profile = client.get("/runs", params={"profile": "nope"})
        assert bad_profile.status_code == 422 and bad_profile.json()["error"]["valid"] == ["p"]
        bad_body = client.post("/plans", json={"profile": "p", "colour": "red"})
        assert bad_body.status_code == 422 and bad_body.json()["error"]["field"] == "colour"
        no_plan = client.get("/plans/20990101-000000000-00000000")
        assert no_plan.status_code == 404 and no_plan.json()["error"]["field"] == "plan_id"
        not_scim = client.post("/scim-tokens/okta")
        assert not_scim.status_code == 404 and not_scim.json()["error"]["valid"] == ["push"]
