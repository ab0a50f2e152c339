"""Sync at login over HTTP against `idsync serve`: a person changed in the Okta emulator is right in
Jira when the call returns; concurrent calls for one person coalesce into one run whose result they
all get; lookup shows what the profile would write; SCIM inbox tokens are issued, rotated, revoked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.api.serving import ApiServer


def _person(okta: RunningOkta) -> tuple[str, str]:
    user = min((u for u in okta.sandbox.state.users.values() if u.status == "ACTIVE"), key=lambda u: u.id)
    return user.id, user.profile["login"]


def test_a_person_changed_in_okta_is_right_in_jira_when_the_call_returns(
    api: ApiServer, okta: RunningOkta, jira: RunningJira
) -> None:
    with api.client() as client:
        assert client.post("/profiles/p/sync").json()["status"] == "succeeded"
        uid, login = _person(okta)
        username = login.split("@")[0].lower()
        with okta.client() as okta_api:
            changed = {"profile": {"displayName": "Ada Renamed", "email": "ada.renamed@example.com"}}
            okta_api.post(f"/api/v1/users/{uid}", json=changed).raise_for_status()

        answer = client.post(f"/profiles/p/users/{login}/sync")

        assert answer.status_code == 200, answer.text
        user = jira.sandbox.state.user_by_name(username)
        assert user is not None
        assert (user.display_name, user.email) == ("Ada Renamed", "ada.renamed@example.com")
        body = answer.json()
        assert body["status"] == "succeeded" and body["login"] == login and body["applied"] >= 1
        (change,) = [c for c in body["changes"] if c["action"] == "update_user"]
        assert change["outcome"] == "applied" and {f["new"] for f in change["changes"]} >= {"Ada Renamed"}
        again = client.post(f"/profiles/p/users/{login}/sync").json()
        assert again["status"] == "no_changes" and again["changes"] == []

        looked = client.get(f"/profiles/p/users/{login}").json()
        assert looked["attributes"]["displayName"] == "Ada Renamed"
        (view,) = looked["profiles"]
        assert view["user"]["username"] == username and view["user"]["display_name"] == "Ada Renamed"
        missing = client.get("/profiles/p/users/nobody@example.com")
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "login"


def test_concurrent_calls_for_one_person_coalesce_into_one_run(api: ApiServer, okta: RunningOkta) -> None:
    with api.client() as client:
        assert client.post("/profiles/p/sync").json()["status"] == "succeeded"
    uid, login = _person(okta)
    with okta.client() as okta_api:
        okta_api.post(f"/api/v1/users/{uid}", json={"profile": {"displayName": "Twice Clicked"}})
    # Okta answers slowly, so the calls below all arrive while the first one's run is reading
    okta.sandbox.control.faults.update({"latency_ms": 400})

    def call(_: int) -> dict[str, object]:
        with api.client() as client:
            response = client.post(f"/profiles/p/users/{login}/sync")
            assert response.status_code == 200, response.text
            answer: dict[str, object] = response.json()
            return answer

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))

    assert len({a["run_id"] for a in answers}) == 1
    assert all(a == answers[0] for a in answers), "every caller gets the same result"
    with api.client() as client:
        runs = client.get("/runs", params={"trigger": "login"}).json()["runs"]
    assert [r["id"] for r in runs] == [answers[0]["run_id"]]


def test_scim_tokens_issue_rotate_revoke(api: ApiServer) -> None:
    def scim(token: str) -> int:
        import httpx

        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{api.url}/scim/v2/push/Users", headers=headers, timeout=10).status_code

    with api.client() as client:
        issued = client.post("/scim-tokens/push")
        assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
        first = issued.json()["token"]
        assert scim(first) == 200
        twice = client.post("/scim-tokens/push")
        assert twice.status_code == 409 and "rotate" in twice.json()["error"]["message"]
        second = client.post("/scim-tokens/push/rotate").json()["token"]
        assert second != first
        assert client.delete("/scim-tokens/push").json() == {"connection": "push", "revoked": True}
        assert client.delete("/scim-tokens/push").json()["revoked"] is False
    log = api.log.read_text()
    assert first not in log and second not in log
