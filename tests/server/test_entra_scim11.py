"""Every Entra ID request form and every Okta SCIM 1.1 form in docs/vendors/scim.md, replayed."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.server.inbox import running_inbox

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE10 = "urn:scim:schemas:core:1.0"


def _patch(*ops: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH], "Operations": list(ops)}


def _entra_user(http: httpx.Client, name: str, external: str) -> dict[str, object]:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "externalId": external,
        "userName": name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
        "roles": [],
    }
    r = http.post("/Users", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_entra_forms(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        user = _entra_user(http, "Test_User_1@contoso.com", "jyoung")
        uid = user["id"]
        other = _entra_user(http, "Test_User_2@contoso.com", "u1091")
        # filters: unquoted externalId, userName, emails[type eq "work"].value; unknown id → 404 Error
        for flt in (
            "externalId eq jyoung",
            'userName eq "test_user_1@contoso.com"',
            'emails[type eq "work"].value eq "Test_User_1@contoso.com"',
            'externalId eq "jyoung" and userName eq "Test_User_1@contoso.com"',
        ):
            r = http.get("/Users", params={"filter": flt})
            assert r.status_code == 200 and [u["id"] for u in r.json()["Resources"]] == [uid], flt
        r = http.get("/Users", params={"filter": "externalId eq nobody"})
        assert r.status_code == 200 and r.json()["totalResults"] == 0
        r = http.get("/Users/8a5c7f0e-0000-0000-0000-000000000000")
        assert r.status_code == 404 and r.json()["status"] == "404"
        # capitalised ops, default PATCH examples, extension path
        r = http.patch(
            f"/Users/{uid}",
            json=_patch(
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "updatedEmail@microsoft.com",
                },
                {"op": "Replace", "path": "name.familyName", "value": "Young"},
                {"op": "Add", "path": "nickName", "value": "Babs"},
                {"op": "Replace", "path": f"{ENT}:employeeNumber", "value": "42"},
            ),
        )
        got = r.json()
        assert r.status_code == 200 and got["emails"][0]["value"] == "updatedEmail@microsoft.com"
        assert (
            got["name"]["familyName"] == "Young"
            and got["nickName"] == "Babs"
            and got[ENT]["employeeNumber"] == "42"
        )
        # disable: boolean, "False" string, flagged lower-case; "True" re-enables
        for value, expected in ((False, False), ("True", True), ("False", False), ("true", True)):
            r = http.patch(f"/Users/{uid}", json=_patch({"op": "Replace", "path": "active", "value": value}))
            assert r.status_code == 200 and r.json()["active"] is expected
        # aadOptscim062020: one no-path replace with dotted and URN keys
        r = http.patch(
            f"/Users/{uid}",
            json=_patch(
                {
                    "op": "replace",
                    "value": {
                        "displayName": "Bjfe",
                        "name.givenName": "Kkom",
                        "name.familyName": "Unua",
                        f"{ENT}:employeeNumber": "Aklq",
                    },
                }
            ),
        )
        got = r.json()
        assert (
            got["displayName"],
            got["name"]["givenName"],
            got["name"]["familyName"],
            got[ENT]["employeeNumber"],
        ) == ("Bjfe", "Kkom", "Unua", "Aklq")
        r = http.patch(
            f"/Users/{uid}",
            json=_patch({"op": "Replace", "path": "userName", "value": "renamed@contoso.com"}),
        )
        assert r.json()["userName"] == "renamed@contoso.com"
        # groups: create with the ADSCIM schema URI? — the core only knows the RFC schemas; Entra's second
        # URI is an extension it does not define, so it is dropped by the client form below.
        g = http.post(
            "/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "externalId": "8aa1",
                "displayName": "displayName",
                "meta": {"resourceType": "Group"},
            },
        )
        assert g.status_code == 201
        gid = g.json()["id"]
        r = http.get(
            "/Groups", params={"excludedAttributes": "members", "filter": 'displayName eq "displayName"'}
        )
        assert (
            r.status_code == 200
            and r.json()["Resources"][0]["id"] == gid
            and "members" not in r.json()["Resources"][0]
        )
        add = _patch(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": uid}, {"value": other["id"]}]}
        )
        assert http.patch(f"/Groups/{gid}", json=add).status_code == 204
        assert (
            http.patch(
                f"/Groups/{gid}",
                json=_patch({"op": "Remove", "path": "members", "value": [{"value": other["id"]}]}),
            ).status_code
            == 204
        )
        assert (
            http.patch(
                f"/Groups/{gid}", json=_patch({"op": "remove", "path": f'members[value eq "{uid}"]'})
            ).status_code
            == 204
        )
        # removing a non-member again is a no-op
        assert (
            http.patch(
                f"/Groups/{gid}", json=_patch({"op": "Remove", "path": "members", "value": [{"value": uid}]})
            ).status_code
            == 204
        )
        assert (
            http.patch(
                f"/Groups/{gid}", json=_patch({"op": "Replace", "path": "displayName", "value": "New name"})
            ).status_code
            == 204
        )
        got = http.get(f"/Groups/{gid}", params={"excludedAttributes": "members"}).json()
        assert got["displayName"] == "New name" and "members" not in got
        assert http.get(f"/Groups/{gid}").json().get("members", []) == []
        assert http.delete(f"/Users/{uid}").status_code == 204
        assert http.get(f"/Users/{uid}").status_code == 404


def test_scim11_forms(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client(version="v1") as http:
        r = http.get("/ServiceProviderConfigs")
        assert r.status_code == 200 and r.json()["patch"]["supported"] is True
        for path in ("/ServiceProviderConfigs", "/ResourceTypes", "/Schemas"):
            assert http.post(path, json={}).status_code == 405, path
        r = http.post(
            "/Users",
            json={
                "schemas": [CORE10],
                "userName": "u11@okta.local",
                "name": {"givenName": "U", "familyName": "Eleven"},
                "active": True,
            },
        )
        assert r.status_code == 201 and r.json()["schemas"] == [CORE10]
        uid = r.json()["id"]
        r = http.post("/Users", json={"schemas": [CORE10], "userName": "u11@okta.local"})
        body = r.json()
        assert r.status_code == 409 and body["Errors"][0]["code"] == 409 and body["Errors"][0]["description"]
        r = http.get("/Users", params={"filter": 'userName eq "U11@OKTA.LOCAL"'})
        assert r.json()["schemas"] == [CORE10] and r.json()["totalResults"] == 1
        assert r.json()["Resources"][0]["schemas"] == [CORE10]
        r = http.get("/Users", params={"filter": "U11@OKTA.LOCAL"})
        assert r.status_code == 400 and r.json()["Errors"][0]["code"] == 400
        r = http.patch(f"/Users/{uid}", json={"schemas": [CORE10], "id": uid, "active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        r = http.post("/Groups", json={"schemas": [CORE10], "displayName": "Group 10"})
        gid = r.json()["id"]
        assert http.patch(
            f"/Groups/{gid}", json={"schemas": [CORE10], "id": gid, "displayName": "Test SCIMv11"}
        ).status_code in (200, 204)
        assert http.patch(
            f"/Groups/{gid}",
            json={"schemas": [CORE10], "members": [{"value": uid, "display": "u11@okta.local"}]},
        ).status_code in (200, 204)
        got = http.get(f"/Groups/{gid}").json()
        assert got["displayName"] == "Test SCIMv11" and [m["value"] for m in got["members"]] == [uid]
        assert http.patch(
            f"/Groups/{gid}",
            json={
                "schemas": [CORE10],
                "members": [{"value": uid, "display": "u11@okta.local", "operation": "delete"}],
            },
        ).status_code in (200, 204)
        assert http.get(f"/Groups/{gid}").json().get("members", []) == []
        http.patch(f"/Groups/{gid}", json={"schemas": [CORE10], "members": [{"value": uid}]})
        assert http.patch(
            f"/Groups/{gid}", json={"schemas": [CORE10], "meta": {"attributes": ["members"]}}
        ).status_code in (200, 204)
        assert http.get(f"/Groups/{gid}").json().get("members", []) == []
        r = http.get("/Users/nope")
        assert r.status_code == 404 and r.json()["Errors"][0]["code"] == 404
