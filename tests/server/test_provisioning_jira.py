"""Acceptance 2 (provisioning half): Okta's CRUD flow and Push Groups against `idsync serve`, each push
provisioned into the Jira sandbox at once; history records trigger "scim"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fixtures.sandbox import RunningJira
from tests.server.inbox import RunningInbox, running_inbox

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _jira_config(jira: RunningJira) -> dict[str, Any]:
    return {
        "connections": {"jira": {"type": "jira", "url": jira.url, "token": jira.token, "retries": 1}},
        "profiles": {
            "push": {
                "source": "inbox",
                "targets": ["jira"],
                "users": {"username": {"attribute": "login", "regex": "(.*)@.*", "replace": "$1"}},
                "groups": {"mode": "on_the_fly", "include": [".*"]},
                "safety": {
                    "protected_users": ["admin"],
                    "max_membership_removals": 1000,
                    "max_deactivation_percent": 100,
                },
            }
        },
    }


def _settle(inbox: RunningInbox) -> None:
    assert inbox.provisioner.wait_idle(60), "provisioning did not finish"


def _user(jira: RunningJira, name: str) -> Any:
    return next(u for u in jira.sandbox.state.users.values() if u.name == name)


def _members(jira: RunningJira, group: str) -> set[str]:
    state = jira.sandbox.state
    return {state.users[key].name for key in state.groups[group.lower()].members}


def test_okta_crud_and_push_groups_end_in_jira(
    tmp_path: Path, jira_sandbox: Callable[..., RunningJira]
) -> None:
    jira = jira_sandbox()
    with running_inbox(tmp_path, extra=_jira_config(jira)) as inbox, inbox.client() as http:
        body = {
            "schemas": [USER],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "displayName": "Test User",
            "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        }
        user = http.post("/Users", json=body).json()
        second = http.post(
            "/Users",
            json={
                **body,
                "userName": "second@okta.local",
                "externalId": "00u2",
                "emails": [{"value": "second@okta.local", "type": "work"}],
            },
        ).json()
        _settle(inbox)
        assert _user(jira, "test.user").active and _user(jira, "test.user").email == "test.user@okta.local"
        # PUT update (AIW)
        put = {**user, "displayName": "Test Changed", "groups": []}
        assert http.put(f"/Users/{user['id']}", json=put).status_code == 200
        _settle(inbox)
        assert _user(jira, "test.user").display_name == "Test Changed"
        # deactivate by no-path PATCH, then reactivate
        for active in (False, True):
            r = http.patch(
                f"/Users/{user['id']}",
                json={"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": active}}]},
            )
            assert r.status_code == 200
            _settle(inbox)
            assert _user(jira, "test.user").active is active, [(d.status, d.error) for d in inbox.done]
        # Push Groups: create, members, rename with every membership update, remove
        group = http.post(
            "/Groups", json={"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}
        ).json()
        r = http.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [PATCH],
                "Operations": [
                    {"op": "replace", "value": {"id": group["id"], "displayName": "Test SCIMv2"}},
                    {
                        "op": "add",
                        "path": "members",
                        "value": [
                            {"value": user["id"], "display": "test.user@okta.local"},
                            {"value": second["id"], "display": "second@okta.local"},
                        ],
                    },
                ],
            },
        )
        assert r.status_code == 204
        _settle(inbox)
        assert _members(jira, "Test SCIMv2") == {"test.user", "second"}
        r = http.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [PATCH],
                "Operations": [
                    {"op": "replace", "value": {"id": group["id"], "displayName": "Test SCIMv2"}},
                    {"op": "remove", "path": f'members[value eq "{second["id"]}"]'},
                ],
            },
        )
        _settle(inbox)
        assert _members(jira, "Test SCIMv2") == {"test.user"}
        runs = inbox.store.runs("push", 50)
        assert runs and {r.trigger for r in runs} == {"scim"}
        assert all(d.error is None for d in inbox.done), [d.error for d in inbox.done]
        # DELETE follows when_removed (deactivate by default)
        assert http.delete(f"/Users/{second['id']}").status_code == 204
        _settle(inbox)
        assert _user(jira, "second").active is False
