"""Okta's SCIM 2.0 SPEC test sequence, steps 1–12 (docs/vendors/scim.md), over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from tests.server.inbox import running_inbox

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SPEC_HEADERS = {
    "Accept": "application/scim+json",
    "Content-Type": "application/scim+json; charset=utf-8",
    "Accept-Charset": "utf-8",
    "User-Agent": "OKTA SCIM Integration",
}


def _user(name: str) -> dict[str, object]:
    return {
        "schemas": [USER],
        "userName": name,
        "name": {"givenName": "Runscope123", "familyName": "Tester"},
        "emails": [{"primary": True, "value": name, "type": "work"}],
        "displayName": "Runscope Tester",
        "active": True,
    }


def _has_user_fields(user: dict[str, object]) -> None:
    name = user["name"]
    assert isinstance(name, dict)
    assert user["id"] and name["familyName"] and name["givenName"] and user["userName"]
    assert user["active"] is not None
    emails = user["emails"]
    assert isinstance(emails, list) and emails[0]["value"]


def test_okta_spec_sequence(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        http.headers.update(SPEC_HEADERS)
        assert http.post("/Users", json=_user("existing@atko.com")).status_code == 201  # one must pre-exist
        # 1
        r = http.get("/Users", params={"count": 1, "startIndex": 1})
        body = r.json()
        assert r.status_code == 200 and body["Resources"] and LIST in body["schemas"]
        assert all(isinstance(body[k], int) for k in ("itemsPerPage", "startIndex", "totalResults"))
        _has_user_fields(body["Resources"][0])
        isv_id = body["Resources"][0]["id"]
        # 2
        r = http.get(f"/Users/{isv_id}")
        assert r.status_code == 200 and r.json()["id"] == isv_id
        _has_user_fields(r.json())
        # 3
        r = http.get("/Users", params={"filter": 'userName eq "abcdefgh@atko.com"'})
        assert r.status_code == 200 and LIST in r.json()["schemas"] and r.json()["totalResults"] == 0
        # 4
        r = http.get("/Users/010101001010101011001010101011")
        assert r.status_code == 404 and r.json()["detail"] and ERROR in r.json()["schemas"]
        # 5
        email = "Runscope123Abcdefghi123@atko.com"
        r = http.get("/Users", params={"filter": f'userName eq "{email}"'})
        assert r.status_code == 200 and r.json()["totalResults"] == 0 and LIST in r.json()["schemas"]
        # 6 (Okta posts this one as application/json)
        r = http.post("/Users", json=_user(email), headers={"Content-Type": "application/json"})
        created = r.json()
        assert r.status_code == 201 and created["active"] is True and created["id"]
        assert created["userName"] == email and created["name"]["givenName"] == "Runscope123"
        assert USER in created["schemas"] and r.headers["Location"].endswith(created["id"])
        # 7
        r = http.get(f"/Users/{created['id']}")
        assert r.status_code == 200 and r.json()["userName"] == email
        assert r.json()["name"]["familyName"] == "Tester"
        # 8
        r = http.post("/Users", json=_user(email))
        assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
        # 9: userName matches case-insensitively
        r = http.get("/Users", params={"filter": f'userName eq "{email.upper()}"'})
        assert r.status_code == 200 and r.json()["totalResults"] == 1
        # 10
        assert http.get("/Groups").status_code == 200
        # 11
        r = http.get(
            "/Users", params={"filter": f'userName eq "{email}"'}, headers={"Authorization": "non-token"}
        )
        assert r.status_code == 401 and r.json()["detail"] and ERROR in r.json()["schemas"]
        # a JSON string, as RFC 7644 §3.12 says (Okta's docs show a number)
        assert r.json()["status"] == "401"
        # 12
        r = http.get("/Users/00919288221112222")
        assert r.status_code == 404 and r.json()["detail"] and r.json()["status"] == "404"


def test_okta_text_json_put_and_no_path_deactivate(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        user = http.post(
            "/Users", json={**_user("t@okta.local"), "password": "1mz050nq", "groups": []}
        ).json()
        assert "password" not in user
        put = {
            **user,
            "name": {"givenName": "Changed", "familyName": "Tester"},
            "groups": [],
            "password": "x",
        }
        r = http.put(
            f"/Users/{user['id']}",
            content=json.dumps(put),
            headers={"Content-Type": "text/json;charset=UTF-8"},
        )
        assert r.status_code == 200 and r.json()["name"]["givenName"] == "Changed"
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        }
        r = http.patch(f"/Users/{user['id']}", json=patch)
        assert r.status_code == 200 and r.json()["active"] is False
        group = http.post(
            "/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Test SCIMv2",
                "members": [],
            },
        ).json()
        rename = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "value": {"id": group["id"], "displayName": "Renamed"}},
                {"op": "add", "path": "members", "value": [{"value": user["id"], "display": "t@okta.local"}]},
            ],
        }
        assert http.patch(f"/Groups/{group['id']}", json=rename).status_code == 204
        got = http.get(f"/Groups/{group['id']}").json()
        assert got["displayName"] == "Renamed" and [m["value"] for m in got["members"]] == [user["id"]]
