"""Custom attributes kept as sent: Okta's custom user extensions (2.0 and `urn:okta:…:custom`), its SCIM 1.1
group description, Entra's custom extension paths and extra group schema URI — stored, returned on
GET (on the 2.0 mount what the inbox can announce a schema for), changed by PUT and PATCH, and readable
by the rules; known core attributes still get 400."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from idsync.domain.progress import NO_PROGRESS
from idsync.sources.scim.inbox_source import ScimInboxSource
from tests.fixtures.sandbox import RunningJira
from tests.server.inbox import running_inbox

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
OKTA_CUSTOM = "urn:okta:acme_1:1.0:user:custom"
OKTA_GROUP = "urn:okta:custom:group:1.0"
CONTOSO = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
CORE10 = "urn:scim:schemas:core:1.0"


def _patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(ops)}


def _create(http: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    schemas = [USER, *[k for k in extra if ":" in k]]
    body = {"schemas": schemas, "userName": name, "name": {"givenName": "A", "familyName": "B"}, **extra}
    r = http.post("/Users", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_okta_custom_user_extensions_kept_and_returned(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        user = _create(http, "ext@okta.local", **{ACME: {"costCenter": "CC-7", "badge": {"number": 12}}})
        assert user[ACME] == {"costCenter": "CC-7", "badge": {"number": 12}} and ACME in user["schemas"]
        got = http.get(f"/Users/{user['id']}").json()
        assert got[ACME]["costCenter"] == "CC-7" and ACME in got["schemas"]
        listed = http.get("/Users", params={"filter": 'userName eq "ext@okta.local"'}).json()
        assert listed["Resources"][0][ACME]["costCenter"] == "CC-7"
        only = http.get(f"/Users/{user['id']}", params={"attributes": "userName"}).json()
        assert ACME not in only
        picked = http.get(f"/Users/{user['id']}", params={"attributes": f"userName,{ACME}:costCenter"}).json()
        assert picked[ACME] == {"costCenter": "CC-7"}
        assert ACME not in http.get(f"/Users/{user['id']}", params={"excludedAttributes": ACME}).json()
        # filtering on an attribute the inbox does not define is refused, naming it
        r = http.get("/Users", params={"filter": f'{ACME}:costCenter eq "CC-7"'})
        assert (
            r.status_code == 400
            and r.json()["scimType"] == "invalidFilter"
            and "costCenter" in r.json()["detail"]
        )
        # AIW: PUT the whole user, now under Okta's own custom URN; the 2.0 extension it no longer
        # sends is gone (a PUT replaces).
        put = {k: v for k, v in got.items() if k != ACME}
        put["schemas"] = [USER, OKTA_CUSTOM]
        put[OKTA_CUSTOM] = {"costCenter": "CC-9", "isContractor": True}
        r = http.put(f"/Users/{user['id']}", json=put)
        assert r.status_code == 200, r.text
        assert r.json()[OKTA_CUSTOM] == {"costCenter": "CC-9", "isContractor": True} and ACME not in r.json()
        got = http.get(f"/Users/{user['id']}").json()
        assert got[OKTA_CUSTOM]["isContractor"] is True and ACME not in got
        assert ACME not in got["schemas"] and OKTA_CUSTOM in got["schemas"]
        # the same PUT again changes nothing the core stores: the extension still follows it
        put[OKTA_CUSTOM] = {"costCenter": "CC-10"}
        assert http.put(f"/Users/{user['id']}", json=put).json()[OKTA_CUSTOM] == {"costCenter": "CC-10"}
        etag = http.get(f"/Users/{user['id']}").headers["ETag"]
        assert etag != r.headers.get("ETag")


def test_entra_extension_paths_and_group_schema_uri(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        user = _create(http, "e@contoso.com")
        uid = user["id"]
        r = http.patch(
            f"/Users/{uid}",
            json=_patch(
                {"op": "Add", "path": f"{CONTOSO}:costCenter", "value": "4711"},
                {"op": "Replace", "path": "name.familyName", "value": "Young"},
            ),
        )
        assert r.status_code == 200, r.text
        assert r.json()[CONTOSO] == {"costCenter": "4711"} and r.json()["name"]["familyName"] == "Young"
        # only extension operations (the core gets none): 200 with the user
        r = http.patch(
            f"/Users/{uid}",
            json=_patch(
                {"op": "Replace", "path": f"{CONTOSO}:costCenter", "value": "4712"},
                {"op": "Add", "path": f"{CONTOSO}:manager.displayName", "value": "Boss"},
            ),
        )
        assert r.status_code == 200 and r.json()[CONTOSO] == {
            "costCenter": "4712",
            "manager": {"displayName": "Boss"},
        }
        # aadOptscim062020: URN keys inside a no-path replace, next to core and enterprise keys
        r = http.patch(
            f"/Users/{uid}",
            json=_patch(
                {
                    "op": "replace",
                    "value": {
                        "displayName": "Bjfe",
                        f"{CONTOSO}:costCenter": "4713",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                    },
                }
            ),
        )
        got = r.json()
        assert got["displayName"] == "Bjfe" and got[CONTOSO]["costCenter"] == "4713"
        assert got["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "42"
        stale = {"If-Match": 'W/"1"'}
        r = http.patch(f"/Users/{uid}", json=_patch({"op": "Remove", "path": CONTOSO}), headers=stale)
        assert r.status_code == 412 and http.get(f"/Users/{uid}").json()[CONTOSO]["costCenter"] == "4713"
        current = {"If-Match": http.get(f"/Users/{uid}").headers["ETag"]}
        r = http.patch(
            f"/Users/{uid}", json=_patch({"op": "Remove", "path": f"{CONTOSO}:manager"}), headers=current
        )
        assert r.json()[CONTOSO] == {"costCenter": "4713"}
        r = http.patch(f"/Users/{uid}", json=_patch({"op": "Remove", "path": CONTOSO}))
        assert CONTOSO not in r.json() and CONTOSO not in r.json()["schemas"]
        assert (
            http.patch(
                "/Users/missing", json=_patch({"op": "Add", "path": f"{CONTOSO}:x", "value": "1"})
            ).status_code
            == 404
        )
        # a value filter into an extension the inbox does not define is refused, naming the path
        r = http.patch(
            f"/Users/{uid}",
            json=_patch({"op": "replace", "path": f'{CONTOSO}:emails[type eq "work"].value', "value": "x"}),
        )
        assert (
            r.status_code == 400 and r.json()["scimType"] == "invalidPath" and CONTOSO in r.json()["detail"]
        )
        # group create with Entra's second schema URI
        g = http.post(
            "/Groups",
            json={
                "schemas": [GROUP, ADSCIM],
                "externalId": "8aa1",
                "displayName": "Entra Group",
                "meta": {"resourceType": "Group"},
            },
        )
        assert g.status_code == 201, g.text
        # kept as sent, but a URL is no schema the 2.0 mount can announce, so it does not name it
        # (test_strict_client); the 1.1 mount answers with everything kept
        assert ADSCIM not in g.json()["schemas"]
        assert ADSCIM not in http.get(f"/Groups/{g.json()['id']}").json()["schemas"]
        with inbox.client(version="v1") as v1:
            assert ADSCIM in v1.get(f"/Groups/{g.json()['id']}").json()["schemas"]
        r = http.patch(
            f"/Groups/{g.json()['id']}",
            json=_patch({"op": "Add", "path": f"{CONTOSO}Group:code", "value": "7"}),
        )
        assert r.status_code == 204
        assert http.get(f"/Groups/{g.json()['id']}").json()[f"{CONTOSO}Group"] == {"code": "7"}


def test_okta_scim11_group_description(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client(version="v1") as http:
        r = http.post(
            "/Groups",
            json={
                "schemas": [CORE10, OKTA_GROUP],
                "displayName": "Group 10",
                OKTA_GROUP: {"description": "Tenth group"},
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()[OKTA_GROUP] == {"description": "Tenth group"} and OKTA_GROUP in r.json()["schemas"]
        gid = r.json()["id"]
        r = http.patch(
            f"/Groups/{gid}",
            json={
                "schemas": [CORE10, OKTA_GROUP],
                "displayName": "Group X",
                OKTA_GROUP: {"description": "New"},
            },
        )
        assert r.status_code in (200, 204), r.text
        got = http.get(f"/Groups/{gid}").json()
        assert got["displayName"] == "Group X" and got[OKTA_GROUP] == {"description": "New"}
        assert CORE10 in got["schemas"]


def test_known_attributes_still_validated(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        for body, attribute in (
            ({"userName": "a", "active": "maybe", ACME: {"x": 1}}, "active"),
            ({"userName": "a", "name": "not an object", ACME: {"x": 1}}, "name"),
            ({"userName": "a", "shoeSize": 42, ACME: {"x": 1}}, "shoeSize"),
            ({ACME: {"x": 1}}, "userName"),
        ):
            r = http.post("/Users", json={"schemas": [USER, ACME], **body})
            assert r.status_code == 400, (body, r.text)
            assert r.json()["scimType"] and attribute in r.json()["detail"], r.json()
        assert http.get("/Users", params={"count": 0}).json()["totalResults"] == 0


def test_extension_attributes_are_source_attributes(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        user = _create(
            http,
            "src@okta.local",
            displayName="Src",
            **{ACME: {"costCenter": "CC-1", "displayName": "not the core one", "manager": {"value": "m1"}}},
        )
        group = http.post(
            "/Groups", json={"schemas": [GROUP], "displayName": "g", "members": [{"value": user["id"]}]}
        ).json()
        http.patch(
            f"/Groups/{group['id']}",
            json=_patch({"op": "add", "path": f"{OKTA_GROUP}:description", "value": "D"}),
        )
        source = ScimInboxSource("inbox", inbox.store.engine)
        snapshot = asyncio.run(source.read_user("src@okta.local"))
        attrs = snapshot.users[user["id"]].attributes
        assert attrs[f"{ACME}:costCenter"] == "CC-1" and attrs["costCenter"] == "CC-1"
        assert attrs[f"{ACME}:manager.value"] == "m1" and attrs["manager.value"] == "m1"
        assert attrs["displayName"] == "Src" and attrs[f"{ACME}:displayName"] == "not the core one"
        full = asyncio.run(source.read(NO_PROGRESS))
        assert full.groups[group["id"]].attributes["description"] == "D"


def test_custom_attribute_rule_reaches_jira(tmp_path: Path, jira_sandbox: Callable[..., RunningJira]) -> None:
    jira = jira_sandbox()
    extra = {
        "connections": {"jira": {"type": "jira", "url": jira.url, "token": jira.token, "retries": 1}},
        "profiles": {
            "push": {
                "source": "inbox",
                "targets": ["jira"],
                "users": {
                    "username": {"attribute": "login", "regex": "(.*)@.*", "replace": "$1"},
                    "custom_attributes": {"cost_center": f"{OKTA_CUSTOM}:costCenter", "badge": "{badge}"},
                },
                "groups": {"mode": "none"},
            }
        },
    }
    with running_inbox(tmp_path, extra=extra) as inbox, inbox.client() as http:
        _create(
            http,
            "cc@okta.local",
            emails=[{"value": "cc@okta.local", "type": "work"}],
            **{OKTA_CUSTOM: {"costCenter": "CC-42", "badge": "B7"}},
        )
        assert inbox.provisioner.wait_idle(60)
        assert all(d.error is None for d in inbox.done), [d.error for d in inbox.done]
        user = next(u for u in jira.sandbox.state.users.values() if u.name == "cc")
        assert user.properties == {"cost_center": "CC-42", "badge": "B7"}, user.properties
