"""A strict client (scim2-client) against an inbox that IdPs have pushed extensions into: what it
discovers at /Schemas and /ResourceTypes describes every resource it then lists or reads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from scim2_client import SCIMClient

from idsync.domain.progress import NO_PROGRESS
from idsync.sources.scim.inbox_source import ScimInboxSource
from tests.server.inbox import running_inbox
from tests.server.pushes import (
    ACME,
    ADSCIM,
    CONTOSO,
    CONTOSO_GROUP,
    ENTERPRISE,
    GROUP,
    OKTA_CUSTOM,
    OKTA_GROUP,
    USER,
    push_all,
)
from tests.server.scim_http import HttpxSCIMClient


def _discovered(client: SCIMClient, kind: str) -> Any:
    model = client.get_resource_model(kind)
    assert model is not None, kind
    return model


def _attributes(schema: dict[str, Any]) -> dict[str, Any]:
    return {a["name"]: a for a in schema.get("attributes", [])}


def test_strict_client_reads_what_idps_pushed(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox:
        pushed = push_all(inbox)
        with inbox.client() as http:
            client = HttpxSCIMClient(http)
            client.discover()
            users = client.query(_discovered(client, "User"))
            groups = client.query(_discovered(client, "Group"))
            assert users.total_results == len(pushed.users) and groups.total_results == len(pushed.groups)
            by_id = {u.id: u.model_dump() for u in users.resources}
            by_id |= {g.id: g.model_dump() for g in groups.resources}
            for resource_id in [*pushed.users.values(), *pushed.groups.values()]:
                kind = "User" if resource_id in pushed.users.values() else "Group"
                one = client.query(_discovered(client, kind), resource_id)
                assert one.model_dump() == by_id[resource_id]
            # the extension data survives the strict client's validation (declared, not dropped)
            assert by_id[pushed.users["okta_custom"]][OKTA_CUSTOM] == {
                "costCenter": "CC-10",
                "isContractor": True,
                "level": 3,
            }
            assert by_id[pushed.users["okta_acme"]][ACME] == {
                "costCenter": "CC-7",
                "badge": {"number": 12, "site": "HQ"},
            }
            entra = by_id[pushed.users["entra"]]
            assert entra[CONTOSO] == {"costCenter": "4713", "manager": {"displayName": "Boss"}}
            assert entra[ENTERPRISE]["employeeNumber"] == "42"
            assert by_id[pushed.groups["entra"]][CONTOSO_GROUP] == {"code": "7"}
            # Entra's second group schema is a URL, not a URN, and Okta's 1.1 group extension URN ends
            # in "1.0", which no attribute path can name: both are kept but neither announced nor
            # returned by the 2.0 mount
            raw = http.get(f"/Groups/{pushed.groups['entra']}").json()
            assert raw["schemas"] == [GROUP, CONTOSO_GROUP]
            raw = http.get(f"/Groups/{pushed.groups['scim11']}").json()
            assert raw["schemas"] == [GROUP] and OKTA_GROUP not in raw

            # what /Schemas announces: the attributes seen, typed as the values are
            schemas = http.get("/Schemas").json()
            assert http.get("/Schemas").json() == schemas
            declared = {s["id"]: s for s in schemas["Resources"]}
            assert ADSCIM not in declared and OKTA_GROUP not in declared
            okta = _attributes(declared[OKTA_CUSTOM])
            assert {n: (a["type"], a["multiValued"]) for n, a in okta.items()} == {
                "costCenter": ("string", False),
                "isContractor": ("boolean", False),
                "level": ("integer", False),
            }
            acme = _attributes(declared[ACME])
            assert acme["badge"]["type"] == "complex" and acme["badge"]["multiValued"] is False
            assert {s["name"]: s["type"] for s in acme["badge"]["subAttributes"]} == {
                "number": "integer",
                "site": "string",
            }
            one = http.get(f"/Schemas/{OKTA_CUSTOM}").json()
            assert one["id"] == OKTA_CUSTOM and one["attributes"] == declared[OKTA_CUSTOM]["attributes"]
            types = {t["id"]: t for t in http.get("/ResourceTypes").json()["Resources"]}
            assert [e["schema"] for e in types["User"]["schemaExtensions"]] == [
                ENTERPRISE,
                ACME,
                CONTOSO,
                OKTA_CUSTOM,
            ]
            assert [e["schema"] for e in types["Group"]["schemaExtensions"]] == [CONTOSO_GROUP]
            assert http.get("/ResourceTypes/Group").json() == types["Group"]
        # the 1.1 mount, which Okta's 1.1 connector reads back, still answers with all of it
        with inbox.client(version="v1") as http:
            raw = http.get(f"/Groups/{pushed.groups['scim11']}").json()
            assert raw[OKTA_GROUP] == {"description": "New"} and OKTA_GROUP in raw["schemas"]
            assert ADSCIM in http.get(f"/Groups/{pushed.groups['entra']}").json()["schemas"]
        # and the sync rules read it
        full = asyncio.run(ScimInboxSource("inbox", inbox.store.engine).read(NO_PROGRESS))
        assert full.groups[pushed.groups["scim11"]].attributes[f"{OKTA_GROUP}:description"] == "New"


def test_inferred_types_and_values_no_type_describes(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        one = {"costCenter": "CC-1", "n": 1, "tags": ["a"], "roles": [{"value": "r1", "primary": True}]}
        first = http.post("/Users", json={"schemas": [USER, ACME], "userName": "one@okta.local", ACME: one})
        second = http.post(
            "/Users",
            json={
                "schemas": [USER, ACME],
                "userName": "two@okta.local",
                # a number where the first user has a string; a decimal where it has an integer; a
                # complex value inside a complex one; a name SCIM does not allow; a null
                ACME: {
                    "costCenter": 7,
                    "n": 2.5,
                    "tags": [],
                    "deep": {"a": {"b": 1}, "c": "x"},
                    "bad name": "y",
                    "gone": None,
                },
            },
        )
        ids = [first.json()["id"], second.json()["id"]]
        client = HttpxSCIMClient(http)
        client.discover()
        listed = {u.id: u.model_dump() for u in client.query(_discovered(client, "User")).resources}
        assert listed[ids[0]][ACME] == {"n": 1, "tags": ["a"], "roles": [{"value": "r1", "primary": True}]}
        assert listed[ids[1]][ACME] == {"n": 2.5, "deep": {"c": "x"}}
        declared = {s["id"]: s for s in http.get("/Schemas").json()["Resources"]}
        attributes = _attributes(declared[ACME])
        assert {n: (a["type"], a["multiValued"]) for n, a in attributes.items()} == {
            "deep": ("complex", False),
            "n": ("decimal", False),
            "roles": ("complex", True),
            "tags": ("string", True),
        }
        assert [s["name"] for s in attributes["deep"]["subAttributes"]] == ["c"]
        assert {s["name"]: s["type"] for s in attributes["roles"]["subAttributes"]} == {
            "primary": "boolean",
            "value": "string",
        }
        # all of it is still stored, and readable by the sync rules
        full = asyncio.run(ScimInboxSource("inbox", inbox.store.engine).read(NO_PROGRESS))
        attrs = full.users[ids[1]].attributes
        assert attrs[f"{ACME}:costCenter"] == 7 and attrs[f"{ACME}:bad name"] == "y"
        assert attrs[f"{ACME}:deep.a.b"] == 1
        assert full.users[ids[0]].attributes[f"{ACME}:costCenter"] == "CC-1"


def test_discovery_covers_what_another_process_stored(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as first, running_inbox(tmp_path, rotate=True) as second:
        # the second app (another process or replica on the same database) takes the pushes; the
        # first has read none of them when a client discovers through it
        push_all(second)
        with first.client(token=second.tokens["inbox"]) as http:
            types = {t["id"]: t for t in http.get("/ResourceTypes").json()["Resources"]}
            assert OKTA_CUSTOM in [e["schema"] for e in types["User"]["schemaExtensions"]]
            client = HttpxSCIMClient(http)
            client.discover()
            users = client.query(_discovered(client, "User")).resources
            assert {u.model_dump().get(OKTA_CUSTOM, {}).get("costCenter") for u in users} >= {"CC-10"}
