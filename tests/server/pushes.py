"""What real IdPs push, replayed over HTTP so an inbox holds their extension data: Okta's custom user
attributes (its 2.0 extension URN and `urn:okta:…:custom`, created then PUT whole as AIW does), Entra's
user and group creates (enterprise extension, the ADSCIM second schema URI on a group) and its custom
extension PATCH paths, and the SCIM 1.1 group with Okta's description extension."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.server.inbox import RunningInbox

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
OKTA_CUSTOM = "urn:okta:acme_1:1.0:user:custom"
OKTA_GROUP = "urn:okta:custom:group:1.0"
CONTOSO = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
CONTOSO_GROUP = "urn:ietf:params:scim:schemas:extension:contoso:2.0:Group"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
CORE10 = "urn:scim:schemas:core:1.0"


@dataclass
class Pushed:
    """The ids of what was pushed, by the form that pushed it."""

    users: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)


def _patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(ops)}


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    return dict(response.json()) if response.content else {}


def push_okta(http: httpx.Client, pushed: Pushed) -> None:
    """Okta: a user with the app's 2.0 custom extension, one with `urn:okta:…:custom` replaced whole by
    PUT (AIW), a pushed group with both as members."""
    acme = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [USER, ACME],
                "userName": "acme@okta.local",
                "name": {"givenName": "Acme", "familyName": "User"},
                "emails": [{"primary": True, "value": "acme@okta.local", "type": "work"}],
                "displayName": "Acme User",
                "active": True,
                "password": "1mz050nq",
                "groups": [],
                ACME: {"costCenter": "CC-7", "badge": {"number": 12, "site": "HQ"}},
            },
        )
    )
    custom = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [USER, OKTA_CUSTOM],
                "userName": "custom@okta.local",
                "name": {"givenName": "Custom", "familyName": "User"},
                "emails": [{"primary": True, "value": "custom@okta.local", "type": "work"}],
                "active": True,
                OKTA_CUSTOM: {"costCenter": "CC-9"},
            },
        )
    )
    put = {k: v for k, v in custom.items() if k != "meta"}
    # Neither a decimal nor a list in these pushes: scim2-tester 0.5.2 fills a declared decimal
    # attribute with a string, and expects a PATCH add to a multi-valued extension attribute it has
    # just set through the whole extension to replace it (RFC 7644 §3.5.2.1 appends). Both are covered
    # by test_strict_client.
    put[OKTA_CUSTOM] = {"costCenter": "CC-10", "isContractor": True, "level": 3}
    _ok(http.put(f"/Users/{custom['id']}", json=put))
    group = _ok(http.post("/Groups", json={"schemas": [GROUP], "displayName": "Okta Push", "members": []}))
    _ok(
        http.patch(
            f"/Groups/{group['id']}",
            json=_patch(
                {"op": "replace", "value": {"id": group["id"], "displayName": "Okta Push"}},
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": acme["id"], "display": "acme@okta.local"}, {"value": custom["id"]}],
                },
            ),
        )
    )
    pushed.users.update(okta_acme=acme["id"], okta_custom=custom["id"])
    pushed.groups["okta"] = group["id"]


def push_entra(http: httpx.Client, pushed: Pushed) -> None:
    """Entra: a user create, custom extension paths by PATCH (also inside a no-path replace), a group
    create with the ADSCIM schema URI and a custom group extension attribute."""
    user = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [USER, ENTERPRISE],
                "externalId": "jyoung",
                "userName": "Test_User_1@contoso.com",
                "active": True,
                "emails": [{"primary": True, "type": "work", "value": "Test_User_1@contoso.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
                "roles": [],
            },
        )
    )
    uid = user["id"]
    _ok(
        http.patch(
            f"/Users/{uid}",
            json=_patch(
                {"op": "Add", "path": f"{CONTOSO}:costCenter", "value": "4711"},
                {"op": "Add", "path": f"{CONTOSO}:manager.displayName", "value": "Boss"},
            ),
        )
    )
    _ok(
        http.patch(
            f"/Users/{uid}",
            json=_patch(
                {
                    "op": "replace",
                    "value": {
                        "displayName": "Bjfe",
                        f"{CONTOSO}:costCenter": "4713",
                        f"{ENTERPRISE}:employeeNumber": "42",
                    },
                }
            ),
        )
    )
    group = _ok(
        http.post(
            "/Groups",
            json={
                "schemas": [GROUP, ADSCIM],
                "externalId": "8aa1",
                "displayName": "Entra Group",
                "meta": {"resourceType": "Group"},
            },
        )
    )
    _ok(
        http.patch(
            f"/Groups/{group['id']}", json=_patch({"op": "Add", "path": "members", "value": [{"value": uid}]})
        )
    )
    _ok(
        http.patch(
            f"/Groups/{group['id']}",
            json=_patch({"op": "Add", "path": f"{CONTOSO_GROUP}:code", "value": "7"}),
        )
    )
    pushed.users["entra"] = uid
    pushed.groups["entra"] = group["id"]


def push_scim11(http: httpx.Client, pushed: Pushed) -> None:
    """SCIM 1.1 (Okta's connector): a user, a group with the description extension, renamed and given
    a member by partial-resource PATCH."""
    user = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [CORE10],
                "userName": "u11@okta.local",
                "name": {"givenName": "U", "familyName": "Eleven"},
                "active": True,
            },
        )
    )
    group = _ok(
        http.post(
            "/Groups",
            json={
                "schemas": [CORE10, OKTA_GROUP],
                "displayName": "Group 10",
                OKTA_GROUP: {"description": "Tenth group"},
            },
        )
    )
    _ok(
        http.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [CORE10, OKTA_GROUP],
                "displayName": "Group X",
                OKTA_GROUP: {"description": "New"},
            },
        )
    )
    _ok(http.patch(f"/Groups/{group['id']}", json={"schemas": [CORE10], "members": [{"value": user["id"]}]}))
    pushed.users["scim11"] = user["id"]
    pushed.groups["scim11"] = group["id"]


def push_all(inbox: RunningInbox) -> Pushed:
    """Every form above, into the `inbox` connection (2.0 and 1.1 mounts)."""
    pushed = Pushed()
    with inbox.client() as http:
        push_okta(http, pushed)
        push_entra(http, pushed)
    with inbox.client(version="v1") as http:
        push_scim11(http, pushed)
    return pushed
