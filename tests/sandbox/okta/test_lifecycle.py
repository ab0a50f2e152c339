"""Every user lifecycle transition, the forbidden ones, and the two-step delete."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import assert_error, create_user

Start = Callable[..., RunningOkta]


def _status(client: httpx.Client, user_id: str) -> str:
    status: str = client.get(f"/api/v1/users/{user_id}").json()["status"]
    return status


def _user_in(okta: RunningOkta, client: httpx.Client, status: str) -> str:
    """A user put into `status` through the emulator's state (generated orgs hold every status)."""
    user = create_user(client, "Life", f"Cycle{status.title().replace('_', '')}")
    okta.sandbox.state.users[user["id"]].status = status
    return str(user["id"])


ALLOWED = [
    ("activate", "STAGED", "ACTIVE"),
    ("activate", "DEPROVISIONED", "PROVISIONED"),
    ("reactivate", "PROVISIONED", "PROVISIONED"),
    ("reactivate", "RECOVERY", "PROVISIONED"),
    ("deactivate", "ACTIVE", "DEPROVISIONED"),
    ("deactivate", "STAGED", "DEPROVISIONED"),
    ("deactivate", "SUSPENDED", "DEPROVISIONED"),
    ("deactivate", "LOCKED_OUT", "DEPROVISIONED"),
    ("suspend", "ACTIVE", "SUSPENDED"),
    ("unsuspend", "SUSPENDED", "ACTIVE"),
    ("unlock", "LOCKED_OUT", "ACTIVE"),
    ("reset_password", "ACTIVE", "RECOVERY"),
    ("expire_password", "ACTIVE", "PASSWORD_EXPIRED"),
]


@pytest.mark.parametrize(("operation", "before", "after"), ALLOWED)
def test_allowed_transition(okta_sandbox: Start, operation: str, before: str, after: str) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user_id = _user_in(okta, client, before)
        response = client.post(f"/api/v1/users/{user_id}/lifecycle/{operation}")
        assert response.status_code in (200, 204), response.text
        assert _status(client, user_id) == after
        events = [e["eventType"] for e in client.get("/api/v1/logs").json()]
    assert events[-1].startswith(("user.lifecycle.", "user.account."))


FORBIDDEN = [
    ("activate", "ACTIVE", 403, "E0000038"),
    ("activate", "SUSPENDED", 403, "E0000038"),
    ("reactivate", "ACTIVE", 403, "E0000038"),
    ("reactivate", "STAGED", 403, "E0000038"),
    ("deactivate", "DEPROVISIONED", 403, "E0000038"),
    ("suspend", "STAGED", 400, "E0000001"),
    ("suspend", "SUSPENDED", 400, "E0000001"),
    ("suspend", "DEPROVISIONED", 400, "E0000001"),
    ("unsuspend", "ACTIVE", 400, "E0000001"),
    ("unlock", "SUSPENDED", 403, "E0000038"),
    ("reset_password", "DEPROVISIONED", 403, "E0000038"),
    ("expire_password", "STAGED", 403, "E0000038"),
]


@pytest.mark.parametrize(("operation", "before", "status", "code"), FORBIDDEN)
def test_forbidden_transition(
    okta_sandbox: Start, operation: str, before: str, status: int, code: str
) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user_id = _user_in(okta, client, before)
        assert_error(client.post(f"/api/v1/users/{user_id}/lifecycle/{operation}"), status, code)
        assert _status(client, user_id) == before


def test_lifecycle_on_unknown_user_is_404(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        assert_error(client.post("/api/v1/users/00uMissing/lifecycle/suspend"), 404, "E0000007")


def test_activate_without_send_email_returns_activation_token(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Token", "Seeker", activate=False)
        body = client.post(
            f"/api/v1/users/{user['id']}/lifecycle/activate", params={"sendEmail": "false"}
        ).json()
        assert set(body) == {"activationUrl", "activationToken"}
        other = create_user(client, "Token", "Keeper", activate=False)
        assert client.post(f"/api/v1/users/{other['id']}/lifecycle/activate").json() == {}


def test_deactivate_status_code_is_configurable(okta_sandbox: Start) -> None:
    okta = okta_sandbox(deactivate_status=200)
    with okta.client() as client:
        user = create_user(client, "Two", "Hundred")
        response = client.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    assert response.status_code == 200
    assert response.json() == {}


def test_delete_is_two_step(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Del", "Ete")
        group = client.post("/api/v1/groups", json={"profile": {"name": "Doomed"}}).json()
        client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}")
        first = client.delete(f"/api/v1/users/{user['id']}")
        assert first.status_code == 204
        assert first.content == b""
        assert _status(client, user["id"]) == "DEPROVISIONED"
        assert client.delete(f"/api/v1/users/{user['id']}").status_code == 204
        assert_error(client.get(f"/api/v1/users/{user['id']}"), 404, "E0000007")
        assert client.get(f"/api/v1/groups/{group['id']}/users").json() == []
        events = [e["eventType"] for e in client.get("/api/v1/logs").json()]
    assert events[-3:] == [
        "user.lifecycle.deactivate",
        "user.lifecycle.delete.initiated",
        "user.lifecycle.delete.completed",
    ]
