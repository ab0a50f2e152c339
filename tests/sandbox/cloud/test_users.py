"""/Users over real HTTP: create rules (409 uniqueness, primary e-mail, verified domain, the user
limit), reads, the single-`eq` filter, paging with the echoed itemsPerPage, PUT and the PATCH forms
IdPs send, deactivation that keeps memberships, and DELETE that ends the id."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.cloud import CloudFactory, RunningCloud
from tests.sandbox.cloud.payloads import ATLASSIAN, CORE_USER, ENTERPRISE, ERROR, group, patch, user


def _create(client: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    response = client.post("Users", json=user(name, **extra))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)  # a string, as RFC 7644 and Atlassian have it
    assert body.get("scimType") == scim_type
    detail: str = body["detail"]
    return detail


def test_create_answers_201_with_location_schemas_account_id_and_meta(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        response = client.post("Users", json=user("jdoe", externalId="00u1abcd"))
        read = client.get(f"Users/{response.json()['id']}")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/scim+json"
    body = response.json()
    assert response.headers["location"] == f"{cloud.url}/Users/{body['id']}"
    assert body["schemas"] == [CORE_USER, ENTERPRISE, ATLASSIAN]
    assert body["userName"] == "jdoe@example.com" and body["externalId"] == "00u1abcd"
    assert "password" not in body
    assert len(body[ATLASSIAN]["atlassianAccountId"]) == 24
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == f"{cloud.url}/Users/{body['id']}"
    assert body["meta"]["created"].endswith("Z")
    assert read.json() == body


def test_existing_user_name_is_409_uniqueness_case_insensitively(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        _create(client, "jdoe")
        again = client.post("Users", json=user("JDoe"))
    assert "jdoe@example.com" in _error(again, 409, "uniqueness").lower()
    assert len(cloud.sandbox.state.users) == 1


def test_a_primary_email_is_required(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    body = user("jdoe")
    body["emails"] = [{"value": "jdoe@example.com", "type": "work"}]
    with cloud.client() as client:
        no_primary = client.post("Users", json=body)
        no_emails = client.post("Users", json={**body, "emails": []})
    assert _error(no_primary, 400, "invalidValue") == (
        "Resource [USER] One email address need to be marked as primary."
    )
    _error(no_emails, 400, "invalidValue")
    assert cloud.sandbox.state.users == {}


def test_the_email_must_be_on_a_verified_domain(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(verified_domains=("example.com", "corp.example.org"))
    with cloud.client() as client:
        refused = client.post("Users", json=user("jdoe", domain="gmail.com"))
        other_verified = client.post("Users", json=user("anna", domain="corp.example.org"))
    detail = _error(refused, 400, "invalidValue")
    assert "jdoe@gmail.com" in detail and "'gmail.com'" in detail and "corp.example.org" in detail
    assert other_verified.status_code == 201


def test_the_directory_user_limit_is_a_400_naming_it(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=3, max_users=3)
    with cloud.client() as client:
        response = client.post("Users", json=user("one-too-many"))
    assert "at most 3 users" in _error(response, 400)


def test_filter_by_user_name_ignores_case_and_by_external_id_does_not(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=30)
    with cloud.client() as client:
        created = _create(client, "jdoe", externalId="00uABC")
        by_name = client.get("Users", params={"filter": 'userName eq "JDOE@Example.com"'}).json()
        by_urn = client.get("Users", params={"filter": f'{CORE_USER}:userName eq "jdoe@example.com"'}).json()
        by_external = client.get("Users", params={"filter": 'externalId eq "00uABC"'}).json()
        external_case = client.get("Users", params={"filter": 'externalid eq "00uabc"'}).json()
        nobody = client.get("Users", params={"filter": 'userName eq "abcdefgh@atko.com"'}).json()
    assert [r["id"] for r in by_name["Resources"]] == [created["id"]]
    assert by_urn["totalResults"] == 1 and by_external["totalResults"] == 1
    assert external_case["totalResults"] == 0  # externalId is caseExact
    assert nobody["totalResults"] == 0 and nobody["Resources"] == []


def test_any_other_filter_is_400_invalid_filter(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=3)
    refused = [
        'userName co "jdoe"',
        'userName eq "a" or userName eq "b"',
        'userName eq "a" and externalId eq "b"',
        'title eq "Engineer"',
        'emails[type eq "work"].value eq "a@example.com"',
        "userName eq jdoe",
        "userName pr",
        'name.givenName eq "John"',
        "JDOE@EXAMPLE.COM",
    ]
    with cloud.client() as client:
        for text in refused:
            detail = _error(client.get("Users", params={"filter": text}), 400, "invalidFilter")
            assert repr(text) in detail


def test_paging_and_items_per_page_echoes_the_page_size(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=45, max_results=20)
    with cloud.client() as client:
        first = client.get("Users", params={"startIndex": 1, "count": 10}).json()
        last = client.get("Users", params={"startIndex": 41, "count": 10}).json()
        capped = client.get("Users", params={"count": 1000}).json()
        default = client.get("Users").json()
        zero = client.get("Users", params={"count": 0, "startIndex": -5}).json()
        seen: list[str] = []
        start = 1
        while start <= 45:
            page = client.get("Users", params={"startIndex": start, "count": 20}).json()
            seen += [r["id"] for r in page["Resources"]]
            start += len(page["Resources"])
        bad = client.get("Users", params={"count": "ten"})
    assert first["totalResults"] == 45 and first["startIndex"] == 1 and len(first["Resources"]) == 10
    assert last["startIndex"] == 41 and len(last["Resources"]) == 5
    assert last["itemsPerPage"] == 10  # the page size, not the 5 returned
    assert capped["itemsPerPage"] == 20 and len(capped["Resources"]) == 20
    assert default["itemsPerPage"] == 20
    assert zero["Resources"] == [] and zero["totalResults"] == 45 and zero["startIndex"] == 1
    assert seen == list(cloud.sandbox.state.users)  # stable creation order, no repeats
    assert "count" in _error(bad, 400, "invalidValue")


def test_sort_by_is_ignored(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=10)
    with cloud.client() as client:
        plain = client.get("Users").json()
        sorted_ask = client.get("Users", params={"sortBy": "userName", "sortOrder": "descending"}).json()
    assert [r["id"] for r in sorted_ask["Resources"]] == [r["id"] for r in plain["Resources"]]


def test_attributes_and_excluded_attributes(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        created = _create(client, "jdoe")
        only = client.get(
            f"Users/{created['id']}",
            params={"attributes": f"userName,name.givenName,{ATLASSIAN}:atlassianAccountId"},
        ).json()
        without = client.get(
            f"Users/{created['id']}", params={"excludedAttributes": "emails,meta,name.familyName"}
        ).json()
        listed = client.get("Users", params={"attributes": "userName"}).json()
        bad = client.get("Users", params={"attributes": 'emails[type eq "work"]'})
    assert set(only) == {"schemas", "id", "userName", "name", ATLASSIAN}
    assert only["name"] == {"givenName": "Jdoe"}
    assert "emails" not in without and "meta" not in without and without["name"] == {"givenName": "Jdoe"}
    assert set(listed["Resources"][0]) == {"schemas", "id", "userName"}
    _error(bad, 400, "invalidPath")


def test_put_replaces_the_user_and_ignores_read_only_attributes(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        created = _create(client, "jdoe", title="Engineer")
        body = user("jdoe", nickName="jd")
        body["id"] = "something-else"
        body["groups"] = [{"value": "nope"}]
        replaced = client.put(f"Users/{created['id']}", json=body)
        taken = _create(client, "anna")
        clash = client.put(f"Users/{created['id']}", json=user("anna"))
    assert replaced.status_code == 200
    assert replaced.json()["id"] == created["id"]
    assert "title" not in replaced.json() and replaced.json()["nickName"] == "jd"
    assert "groups" not in replaced.json()
    assert taken["id"] != created["id"]
    _error(clash, 409, "uniqueness")


def test_patch_forms_of_okta_and_entra(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        created = _create(client, "jdoe")
        uid = created["id"]
        response = client.patch(f"Users/{uid}", json=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "john.doe@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Doe"},
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "R&D"},
            {"op": "replace", "value": {"displayName": "John Doe", "name.givenName": "John",
                                        f"{ENTERPRISE}:employeeNumber": "42"}},
        ))  # fmt: skip
        removed = client.patch(f"Users/{uid}", json=patch({"op": "remove", "path": "title"}))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["emails"] == [{"value": "john.doe@example.com", "type": "work", "primary": True}]
    assert body["name"] == {"givenName": "John", "familyName": "Doe"}
    assert body["title"] == "Engineer" and body["displayName"] == "John Doe"
    assert body[ENTERPRISE] == {"department": "R&D", "employeeNumber": "42"}
    assert "title" not in removed.json()
    account = cloud.sandbox.state.account("john.doe@example.com")
    assert account is not None and account.account_id == created[ATLASSIAN]["atlassianAccountId"]


def test_patch_errors(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        uid = _create(client, "jdoe")["id"]
        no_target = client.patch(f"Users/{uid}", json=patch({"op": "remove"}))
        bad_op = client.patch(f"Users/{uid}", json=patch({"op": "move", "path": "title", "value": "x"}))
        groups = client.patch(
            f"Users/{uid}", json=patch({"op": "add", "path": "groups", "value": [{"value": "g"}]})
        )
        unverified = client.patch(f"Users/{uid}", json=patch(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "jdoe@gmail.com"}
        ))  # fmt: skip
        no_primary = client.patch(f"Users/{uid}", json=patch({"op": "remove", "path": "emails"}))
        not_json = client.patch(f"Users/{uid}", content=b"{", headers={"content-type": "application/json"})
        after = client.get(f"Users/{uid}").json()
    assert no_target.status_code == 400 and no_target.json()["scimType"] == "noTarget"
    assert bad_op.status_code == 400
    assert groups.status_code == 400 and groups.json()["scimType"] == "mutability"
    _error(unverified, 400, "invalidValue")
    _error(no_primary, 400, "invalidValue")
    _error(not_json, 400, "invalidSyntax")
    assert after["emails"][0]["value"] == "jdoe@example.com"  # all or nothing


def _member_ids(cloud: RunningCloud, group_id: str) -> list[str]:
    return list(cloud.sandbox.state.groups[group_id].members)


def test_deactivation_keeps_group_memberships_and_reactivation_works(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        uid = str(_create(client, "jdoe")["id"])
        gid = client.post("Groups", json=group("engineering", uid)).json()["id"]
        path_form = client.patch(
            f"Users/{uid}", json=patch({"op": "replace", "path": "active", "value": False})
        )
        in_group = client.get(f"Groups/{gid}").json()["members"]
        okta_form = client.patch(f"Users/{uid}", json=patch({"op": "replace", "value": {"active": True}}))
        put_form = client.put(f"Users/{uid}", json={**user("jdoe"), "active": False})
    assert path_form.json()["active"] is False
    assert (
        path_form.json()["groups"][0]["value"] == gid
        and path_form.json()["groups"][0]["display"] == "engineering"
    )
    assert [m["value"] for m in in_group] == [uid]
    assert okta_form.json()["active"] is True
    assert put_form.json()["active"] is False
    account = cloud.sandbox.state.account("jdoe@example.com")
    assert account is not None and account.active is False
    assert _member_ids(cloud, gid) == [uid]


def test_delete_deactivates_and_the_id_answers_404_until_a_new_post_relinks(
    cloud_sandbox: CloudFactory,
) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        created = _create(client, "jdoe")
        uid = str(created["id"])
        gid = client.post("Groups", json=group("engineering", uid)).json()["id"]
        deleted = client.delete(f"Users/{uid}")
        later = [
            client.get(f"Users/{uid}"),
            client.put(f"Users/{uid}", json=user("jdoe")),
            client.patch(f"Users/{uid}", json=patch({"op": "replace", "path": "active", "value": True})),
            client.delete(f"Users/{uid}"),
        ]
        listed = client.get("Users", params={"filter": 'userName eq "jdoe@example.com"'}).json()
        account_after_delete = cloud.sandbox.state.account("jdoe@example.com")
        relinked = _create(client, "jdoe")
    assert deleted.status_code == 204 and deleted.content == b""
    for response in later:
        assert uid in _error(response, 404)
    assert listed["totalResults"] == 0
    assert account_after_delete is not None and account_after_delete.active is False
    assert relinked["id"] != uid
    assert relinked[ATLASSIAN] == created[ATLASSIAN]  # the same Atlassian account, linked again
    account = cloud.sandbox.state.account("jdoe@example.com")
    assert account is not None and account.active is True
    assert _member_ids(cloud, gid) == []  # the SCIM record left its groups; re-adding is the IdP's job


def test_unknown_user_is_404_with_detail(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=1)
    with cloud.client() as client:
        response = client.get("Users/010101001010101011001010101011")
    assert "010101001010101011001010101011" in _error(response, 404)


def test_read_only_attributes_in_a_create_are_ignored_and_renames_stay_unique(
    cloud_sandbox: CloudFactory,
) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        created = client.post("Users", json=user(
            "jdoe", id="chosen-by-client", **{ATLASSIAN: {"atlassianAccountId": "forged"}}
        )).json()  # fmt: skip
        other = _create(client, "anna")
        rename = client.patch(f"Users/{other['id']}", json=patch(
            {"op": "replace", "path": "userName", "value": "JDOE@example.com"}
        ))  # fmt: skip
        renamed_ok = client.patch(f"Users/{other['id']}", json=patch(
            {"op": "replace", "path": "userName", "value": "anna.new@example.com"}
        ))  # fmt: skip
        found = client.get("Users", params={"filter": 'userName eq "anna.new@example.com"'}).json()
        old_name = client.get("Users", params={"filter": 'userName eq "anna@example.com"'}).json()
    assert created["id"] != "chosen-by-client"
    assert created[ATLASSIAN]["atlassianAccountId"] != "forged"
    _error(rename, 409, "uniqueness")
    assert renamed_ok.status_code == 200
    assert [u["id"] for u in found["Resources"]] == [other["id"]] and old_name["totalResults"] == 0
