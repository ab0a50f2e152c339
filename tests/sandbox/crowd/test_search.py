"""GET /search with CQL restrictions: equality ignoring case, wildcards, and / or / parentheses,
booleans and dates, paging, and 400 for a restriction it cannot read."""

from __future__ import annotations

from tests.fixtures.crowd import CrowdFactory


def _names(client, restriction: str, kind: str = "user", **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/search", params={"entity-type": kind, "restriction": restriction, **params})
    assert response.status_code == 200, response.text
    return [e["name"] for e in response.json()[f"{kind}s"]]


def test_equality_wildcards_and_boolean_logic(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(users=60, seed=2)
    state = crowd.sandbox.state
    some = sorted(state.users.values(), key=lambda u: u.name)[1:4]
    with crowd.client() as client:
        assert _names(client, f'name = "{some[0].name.upper()}"') == [some[0].name]
        either = " or ".join(f'email="{u.email}"' for u in some)
        assert sorted(_names(client, either)) == sorted(u.name for u in some)
        inactive = _names(client, "active=false")
        assert set(inactive) == {u.name for u in state.users.values() if not u.active}
        prefix = some[0].name[:3]
        combined = _names(client, f'(name="{prefix}*" or name="admin") and active=true')
        expected = {u.name for u in state.users.values() if u.active and u.name.startswith(prefix)} | {
            "admin"
        }
        assert set(combined) == expected
        domain = _names(client, 'email = "*@example.com"', **{"max-results": 5, "start-index": 5})
        assert len(domain) == 5
        assert _names(client, "createdDate > 2999-01-01") == []
        teams = _names(client, 'name="team-*"', kind="group")
    assert teams and all(t.startswith("team-") for t in teams)


def test_quoted_values_escape_quotes(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        client.post("/user", json={"name": 'o"brien', "password": {"value": "x"}, "display-name": "O"})
        assert _names(client, r'name = "o\"brien"') == ['o"brien']


def test_bad_restrictions_are_400(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        for restriction in ('colour = "red"', 'name = "a" and', "(name = a", "active = maybe"):
            response = client.get("/search", params={"entity-type": "user", "restriction": restriction})
            assert response.status_code == 400, restriction
            assert response.json()["reason"] == "ILLEGAL_ARGUMENT"
        assert client.get("/search", params={"entity-type": "role"}).status_code == 400


def test_post_search_with_a_json_restriction(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(users=30, seed=2)
    state = crowd.sandbox.state

    def prop(name: str, kind: str, mode: str, value: str) -> dict[str, object]:
        return {"restriction-type": "property-search-restriction", "property": {"name": name, "type": kind},
                "match-mode": mode, "value": value}  # fmt: skip

    body = {
        "restriction-type": "boolean-search-restriction",
        "boolean-logic": "and",
        "restrictions": [
            prop("email", "STRING", "CONTAINS", "example.com"),
            prop("active", "BOOLEAN", "EXACTLY_MATCHES", "true"),
        ],
    }
    with crowd.client() as client:
        found = client.post("/search", params={"entity-type": "user"}, json=body)
        bad = client.post("/search", params={"entity-type": "user"}, json={"restriction-type": "nope"})
    assert found.status_code == 200
    assert {u["name"] for u in found.json()["users"]} == {u.name for u in state.users.values() if u.active}
    assert bad.status_code == 400
