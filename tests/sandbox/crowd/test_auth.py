"""Application authentication: Basic with the application's name and password, 401 otherwise, the
remote-address allow list, the `latest` alias, and XML unless JSON is asked for."""

from __future__ import annotations

import httpx

from tests.fixtures.crowd import API, CrowdFactory


def test_the_application_authenticates_and_a_user_cannot(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        assert client.get("/user", params={"username": "admin"}).status_code == 200
    with crowd.client(auth=("admin", "admin")) as client:
        refused = client.get("/user", params={"username": "admin"})
    assert refused.status_code == 401
    assert refused.json()["reason"] == "APPLICATION_ACCESS_DENIED"
    assert refused.headers["www-authenticate"].startswith("Basic")


def test_wrong_password_and_no_credentials_are_401(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(application="jira-sync", password="s3cret")
    with crowd.client(auth=("jira-sync", "wrong")) as client:
        assert client.get("/search", params={"entity-type": "user"}).status_code == 401
    with httpx.Client(base_url=crowd.url + API, headers={"Accept": "application/json"}) as client:
        assert client.get("/search", params={"entity-type": "user"}).status_code == 401
    with crowd.client(auth=("JIRA-SYNC", "s3cret")) as client:  # names ignore case
        assert client.get("/search", params={"entity-type": "user"}).status_code == 200


def test_remote_addresses_refuse_other_clients(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox(remote_addresses=("10.1.2.3",))
    with crowd.client() as client:
        refused = client.get("/user", params={"username": "admin"})
    assert refused.status_code == 403
    assert refused.json()["reason"] == "APPLICATION_ACCESS_DENIED"
    assert "127.0.0.1" in refused.json()["message"]
    allowed = crowd_sandbox(remote_addresses=("127.0.0.1",))
    with allowed.client() as client:
        assert client.get("/user", params={"username": "admin"}).status_code == 200


def test_latest_is_an_alias_of_1(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with httpx.Client(base_url=crowd.url, auth=(crowd.application, crowd.password)) as client:
        response = client.get(
            "/rest/usermanagement/latest/user", params={"username": "admin"},
            headers={"Accept": "application/json"},
        )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["name"] == "admin"


def test_xml_is_the_default_without_a_json_accept(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client(headers={"Accept": "*/*"}) as client:
        user = client.get("/user", params={"username": "admin"})
        missing = client.get("/user", params={"username": "nobody"})
    assert user.headers["content-type"].startswith("application/xml")
    assert "<name>admin</name>" in user.text
    assert missing.status_code == 404
    assert "<reason>USER_NOT_FOUND</reason>" in missing.text


def test_xml_request_bodies_are_refused_with_415(crowd_sandbox: CrowdFactory) -> None:
    crowd = crowd_sandbox()
    with crowd.client() as client:
        response = client.post(
            "/group", content=b"<group name='x'/>", headers={"Content-Type": "application/xml",
                                                              "Accept": "application/json"},
        )  # fmt: skip
    assert response.status_code == 415
    assert crowd.sandbox.state.group("x") is None
