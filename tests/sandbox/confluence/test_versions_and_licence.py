"""The version matrix (only the endpoints a release has are served; the manifest names the release)
and the licence limit (402 past the licensed user count, and the count endpoints)."""

from __future__ import annotations

import httpx
import pytest

from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions, OptionsError
from tests.fixtures.confluence import ConfluenceFactory

NEW = {"userName": "jdoe", "fullName": "John Doe", "email": "jdoe@example.com", "password": "pw"}


@pytest.mark.parametrize(
    ("version", "full", "create", "update", "disable", "membership"),
    [
        ("7.19", "7.19.26", 404, 404, 404, 404),
        ("8.2", "8.2.3", 404, 405, 204, 204),
        ("8.4", "8.4.5", 201, 204, 204, 204),
        ("9.2", "9.2.1", 201, 204, 204, 204),
    ],
)
def test_a_release_serves_only_its_endpoints(
    confluence_sandbox: ConfluenceFactory, version: str, full: str, create: int, update: int, disable: int,
    membership: int,
) -> None:  # fmt: skip
    confluence = confluence_sandbox(users=3, version=version)
    user = next(u.name for u in confluence.sandbox.state.users.values() if u.name != "admin")
    manifest = httpx.get(
        f"{confluence.url}/rest/applinks/1.0/manifest", headers={"Accept": "application/json"}
    )
    with confluence.client() as client:
        codes = (
            client.post("/rest/api/admin/user", json=NEW).status_code,
            client.put(f"/rest/api/admin/user/{user}", json={"fullName": "X"}).status_code,
            client.put(f"/rest/api/admin/user/{user}/disable").status_code,
            client.put(f"/rest/api/user/{user}/group/confluence-users").status_code,
        )
        assert client.get("/rest/api/group/confluence-users/member").status_code == 200
    assert manifest.json()["version"] == full and manifest.json()["typeId"] == "confluence"
    assert codes == (create, update, disable, membership)


def test_manifest_is_xml_unless_json_is_asked_for(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(version="8.4")
    response = httpx.get(f"{confluence.url}/rest/applinks/1.0/manifest")
    assert response.headers["content-type"].startswith("application/xml")
    assert "<version>8.4.5</version>" in response.text


def test_unknown_version_is_refused() -> None:
    with pytest.raises(OptionsError, match=r"valid: 7\.19, 8\.2"):
        ConfluenceOptions(version="8.3")


def test_creating_past_the_licensed_user_count_answers_402(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox(users=0, licensed_users=2)
    with confluence.client() as client:
        first = client.post("/rest/api/admin/user", json=NEW)
        second = client.post("/rest/api/admin/user", json={**NEW, "userName": "jdoe2"})
        counts = [
            client.get(f"/rest/license/1.0/license/{name}").json()["count"]
            for name in ("userCount", "remainingSeats", "maxUsers")
        ]
        client.put("/rest/api/admin/user/jdoe/disable").raise_for_status()
        third = client.post("/rest/api/admin/user", json={**NEW, "userName": "jdoe3"})
    assert first.status_code == 201
    assert second.status_code == 402
    assert second.json()["statusCode"] == 402 and "licence" in second.json()["message"]
    assert confluence.sandbox.state.user_by_name("jdoe2") is None
    assert counts == [2, 0, 2]
    assert third.status_code == 201  # a disabled user frees its seat


def test_unlimited_licence_reports_integer_max(confluence_sandbox: ConfluenceFactory) -> None:
    confluence = confluence_sandbox()
    with confluence.client() as client:
        assert client.get("/rest/license/1.0/license/maxUsers").json() == {"count": 2**31 - 1}
