"""SCIM-triggered runs with a small inbox: the default percent guard does not refuse a single-user plan
(one deactivation out of two users is 50 %), and DELETE /Users follows each profile's `when_removed`
(delete in one Jira, ignore in another, both fed by the same inbox)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from idsync.store.records import RunStatus
from tests.fixtures.sandbox import RunningJira
from tests.server.inbox import RunningInbox, running_inbox

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _profile(when_removed: str) -> dict[str, Any]:
    return {
        "source": "inbox",
        "targets": [f"jira_{when_removed}"],
        "users": {
            "when_removed": when_removed,
            "username": {"attribute": "login", "regex": "(.*)@.*", "replace": "$1"},
        },
        "groups": {"mode": "on_the_fly"},
        # the default safety limits (max_deactivation_percent 10) apply
        "safety": {"protected_users": ["admin"]},
    }


def _names(jira: RunningJira) -> dict[str, bool]:
    return {u.name: u.active for u in jira.sandbox.state.users.values() if u.name != "admin"}


def _settle(inbox: RunningInbox) -> None:
    assert inbox.provisioner.wait_idle(60), "provisioning did not finish"
    assert all(d.error is None for d in inbox.done), [(d.key, d.status, d.error) for d in inbox.done]


def test_small_inbox_guards_and_when_removed(
    tmp_path: Path, jira_sandbox: Callable[..., RunningJira]
) -> None:
    deleting, ignoring = jira_sandbox(), jira_sandbox()
    extra = {
        "connections": {
            f"jira_{name}": {"type": "jira", "url": jira.url, "token": jira.token, "retries": 1}
            for name, jira in (("delete", deleting), ("ignore", ignoring))
        },
        "profiles": {"del": _profile("delete"), "keep": _profile("ignore")},
    }
    with running_inbox(tmp_path, extra=extra) as inbox, inbox.client() as http:
        ids = {}
        for login in ("ann", "ben"):
            body = {
                "schemas": [USER],
                "userName": f"{login}@okta.local",
                "name": {"givenName": login, "familyName": "X"},
                "emails": [{"value": f"{login}@okta.local", "type": "work", "primary": True}],
                "active": True,
            }
            ids[login] = http.post("/Users", json=body).json()["id"]
        _settle(inbox)
        assert _names(deleting) == _names(ignoring) == {"ann": True, "ben": True}
        # one deactivation out of two managed users: 50 % > 10 %, but a single-user plan
        r = http.patch(
            f"/Users/{ids['ann']}",
            json={"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
        )
        assert r.status_code == 200
        _settle(inbox)
        assert _names(deleting)["ann"] is False and _names(ignoring)["ann"] is False
        # a group push is a full run: still one loss, still not refused
        group = http.post("/Groups", json={"schemas": [GROUP], "displayName": "team", "members": []}).json()
        r = http.patch(
            f"/Groups/{group['id']}",
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": ids["ben"]}]}],
            },
        )
        assert r.status_code == 204
        _settle(inbox)
        for jira in (deleting, ignoring):
            members = jira.sandbox.state.groups["team"].members
            assert {jira.sandbox.state.users[k].name for k in members} == {"ben"}
        # DELETE: gone from the deleting Jira, untouched in the ignoring one
        assert http.delete(f"/Users/{ids['ben']}").status_code == 204
        _settle(inbox)
        assert "ben" not in _names(deleting) and _names(ignoring)["ben"] is True
        runs = inbox.store.runs("del", 50) + inbox.store.runs("keep", 50)
        assert runs and all(run.status is not RunStatus.REFUSED for run in runs), [
            (run.status, run.error) for run in runs
        ]
        assert {run.trigger for run in runs} == {"scim"}
