"""`POST /api/v1/runs/{id}/undo` against `idsync serve`: a dry run shows the inverse plan and writes
nothing, the undo deactivates the person the run created and is recorded as an undo run, an undo
over a safety limit gets 422 naming the limit, an unknown run 404."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.api.serving import ApiServer


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_undo_a_run_over_http(api: ApiServer, okta: RunningOkta, jira: RunningJira) -> None:
    with api.client() as client:
        first = _ok(client.post("/profiles/p/sync"))
        with okta.client() as okta_api:
            okta_api.post("/api/v1/users", params={"activate": "true"}, json={
                "profile": {"firstName": "Late", "lastName": "Comer", "email": "late.comer@example.com",
                            "login": "late.comer@example.com"},
                "credentials": {"password": {"value": "Passw0rd-Late-1"}},
            }).raise_for_status()  # fmt: skip
        run = _ok(client.post("/profiles/p/sync"))
        late = jira.sandbox.state.user_by_name("late.comer")
        assert late is not None and late.active

        preview = _ok(client.post(f"/runs/{run['run_id']}/undo", json={"dry_run": True}))
        assert (preview["status"], preview["applied"]) == ("planned", False)
        assert preview["undo_of"] == run["run_id"]
        assert "deactivate_user" in {item["action"] for item in preview["plan"]["items"]}
        assert late.active, "a dry run writes nothing"

        undone = _ok(client.post(f"/runs/{run['run_id']}/undo"))
        assert (undone["status"], undone["applied"], undone["refusals"]) == ("succeeded", True, [])
        assert not late.active
        recorded = _ok(client.get(f"/runs/{undone['run_id']}"))
        assert recorded["trigger"] == "undo"

        # undoing the first sync would deactivate every person it created: over max_deactivations 2
        refused = client.post(f"/runs/{first['run_id']}/undo")
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["limits"] == ["max_deactivations"]

        missing = client.post("/runs/20990101-000000000-beef/undo")
        assert missing.status_code == 404 and "no run with id" in missing.json()["error"]["message"]
