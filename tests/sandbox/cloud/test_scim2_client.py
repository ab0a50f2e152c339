"""A real SCIM client library, unchanged, against the emulator: scim2-client discovers the directory
(/ResourceTypes, /Schemas, /ServiceProviderConfig), builds its models from what it found, and then
creates, searches by filter, patches, reads and deletes a user and a group — validating every
response against the discovered schemas. (scim2-client's network engine needs httpx2; the tests'
engine sends the same requests with httpx.)"""

from __future__ import annotations

from typing import Any

from scim2_client import SCIMClient
from scim2_models import Error, PatchOp, PatchOperation, SearchRequest

from tests.fixtures.cloud import CloudFactory
from tests.sandbox.cloud.payloads import ATLASSIAN
from tests.server.scim_http import HttpxSCIMClient


def _model(client: SCIMClient, name: str) -> Any:
    model = client.get_resource_model(name)
    assert model is not None, name
    return model


def test_scim2_client_discovers_creates_searches_patches_and_deletes(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=12)
    with cloud.client() as http:
        client = HttpxSCIMClient(http)
        client.discover()
        assert client.provider is not None
        user_model = _model(client, "User")
        group_model = _model(client, "Group")

        listed = client.query(user_model, query_parameters=SearchRequest(count=5))
        assert listed.total_results == 12 and len(listed.resources) == 5

        created = client.create(user_model.model_validate({
            "userName": "jdoe@example.com", "displayName": "John Doe",
            "name": {"givenName": "John", "familyName": "Doe"},
            "emails": [{"value": "jdoe@example.com", "type": "work", "primary": True}],
            "department": "R&D", "active": True,
        }))  # fmt: skip
        assert created.id and created.user_name == "jdoe@example.com"
        assert created.department == "R&D"
        assert ATLASSIAN in user_model.get_extension_models()  # the Atlassian extension, as discovered
        assert created.model_dump()[ATLASSIAN]["atlassianAccountId"]

        found = client.query(
            user_model, query_parameters=SearchRequest(filter='userName eq "JDOE@example.com"')
        )
        assert [u.id for u in found.resources] == [created.id]

        operation: Any = PatchOperation(op=PatchOperation.Op.replace_, path="active", value=False)
        patch_op = PatchOp[user_model](operations=[operation])  # type: ignore[valid-type]
        patched: Any = client.modify(user_model, created.id, patch_op)
        assert patched is not None and patched.active is False

        group = client.create(group_model.model_validate(
            {"displayName": "engineering", "members": [{"value": created.id}]}
        ))  # fmt: skip
        assert [m.value for m in group.members] == [created.id]
        groups = client.query(
            group_model, query_parameters=SearchRequest(filter='displayName eq "engineering"')
        )
        assert [g.id for g in groups.resources] == [group.id]

        client.delete(group_model, group.id)
        client.delete(user_model, created.id)
        error = client.query(user_model, created.id, raise_scim_errors=False)
        assert isinstance(error, Error) and error.status == 404 and error.detail
    assert cloud.requests()["GET /ResourceTypes"] == 1 and cloud.requests()["GET /Schemas"] == 1
