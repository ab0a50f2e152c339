"""Acceptance 4: auth (no token, wrong token, another connection's token), body size, malformed input,
filters (every operator, and/or/not, value paths), paging (count=0, stable order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.inbox import RunningInbox, running_inbox

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def inbox(tmp_path: Path) -> RunningInbox:
    with running_inbox(tmp_path, max_body_bytes=4096) as running:
        yield running  # type: ignore[misc]


def test_auth(inbox: RunningInbox) -> None:
    cases = {"none": None, "wrong": "not-a-token", "other connection": inbox.tokens["other"]}
    for label, token in cases.items():
        with inbox.client(token=token or "") as http:
            if token is None:
                del http.headers["Authorization"]
            r = http.get("/Users")
            assert r.status_code == 401, label
            assert ERROR in r.json()["schemas"] and r.json()["detail"] and r.json()["status"] == "401"
            assert inbox.tokens["inbox"] not in r.text and inbox.tokens["other"] not in r.text
    with inbox.client("other") as http:
        assert http.get("/Users").status_code == 200
    with inbox.client(version="v1", token="wrong") as http:
        assert http.get("/Users").json()["Errors"][0]["code"] == 401


def test_size_and_malformed(inbox: RunningInbox) -> None:
    with inbox.client() as http:
        big = {"schemas": [USER], "userName": "x", "displayName": "y" * 5000}
        r = http.post("/Users", json=big)
        assert r.status_code == 413 and "4096" in r.json()["detail"]
        r = http.post("/Users", content=b'{"schemas": [', headers={"Content-Type": "application/scim+json"})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidSyntax"
        r = http.post("/Users", json={"schemas": [USER], "userName": "a", "active": "maybe"})
        assert r.status_code == 400 and "active" in r.json()["detail"]
        r = http.post("/Users", json={"schemas": [USER], "displayName": "no username"})
        assert r.status_code == 400 and "userName" in r.json()["detail"]
        r = http.post("/Users", json={"schemas": [USER], "userName": "a", "shoeSize": 42})
        assert r.status_code == 400 and "shoeSize" in r.json()["detail"]
        r = http.patch(
            "/Users/x",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove"}],
            },
        )
        assert r.status_code in (400, 404)


def test_filters_and_paging(inbox: RunningInbox) -> None:
    with inbox.client() as http:
        ids = {}
        for i, (name, title, active) in enumerate(
            [("alice", "Boss", True), ("Bob", None, False), ("carol", "Clerk", True), ("dave", "Dev", True)]
        ):
            body = {
                "schemas": [USER],
                "userName": name,
                "active": active,
                "emails": [{"value": f"{name.lower()}@work.example", "type": "work"}],
            }
            if title:
                body["title"] = title
            ids[name] = http.post("/Users", json=body).json()["id"]
            del i
        cases = {
            'userName eq "ALICE"': {"alice"},
            'userName ne "alice"': {"Bob", "carol", "dave"},
            'userName co "a"': {"alice", "carol", "dave"},
            'userName sw "b"': {"Bob"},
            'userName ew "e"': {"alice", "dave"},
            'userName gt "c"': {"carol", "dave"},
            'userName ge "carol"': {"carol", "dave"},
            'userName lt "bob"': {"alice"},
            'userName le "bob"': {"alice", "Bob"},
            "title pr": {"alice", "carol", "dave"},
            "active eq false": {"Bob"},
            'title eq "Boss" or userName eq "Bob"': {"alice", "Bob"},
            'active eq true and not (title eq "Boss")': {"carol", "dave"},
            'emails[type eq "work" and value co "carol"]': {"carol"},
            '(active eq true) and (title sw "D")': {"dave"},
        }
        for flt, expected in cases.items():
            r = http.get("/Users", params={"filter": flt})
            assert r.status_code == 200, (flt, r.text)
            assert {u["userName"] for u in r.json().get("Resources", [])} == expected, flt
        for bad in ("userName eq", 'userName xx "a"', "((", 'userName eq "a" and'):
            r = http.get("/Users", params={"filter": bad})
            assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter", bad
        r = http.get("/Users", params={"count": 0})
        assert r.json()["totalResults"] == 4 and not r.json().get("Resources")
        pages = [http.get("/Users", params={"startIndex": s, "count": 2}).json() for s in (1, 3, 5)]
        seen = [u["id"] for p in pages for u in p.get("Resources", [])]
        assert sorted(seen) == sorted(ids.values()) and len(seen) == 4
        again = [
            u["id"]
            for s in (1, 3)
            for u in http.get("/Users", params={"startIndex": s, "count": 2}).json()["Resources"]
        ]
        assert again == seen
        r = http.get("/Users", params={"attributes": "userName", "filter": 'userName eq "dave"'})
        assert set(r.json()["Resources"][0]) <= {"id", "userName", "schemas", "meta"}
        r = http.get(f"/Users/{ids['dave']}", params={"excludedAttributes": "emails"})
        assert "emails" not in r.json()
        etag = http.get(f"/Users/{ids['dave']}").headers["ETag"]
        assert http.get(f"/Users/{ids['dave']}", headers={"If-None-Match": etag}).status_code == 304
