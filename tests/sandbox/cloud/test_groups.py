"""/Groups over real HTTP: names unique across SCIM and organization groups, the displayName filter,
membership PATCH in every form IdPs send, no renames, members must be directory users, the group
size limit, excludedAttributes=members, DELETE."""

from __future__ import annotations

import httpx

from tests.fixtures.cloud import CloudFactory, RunningCloud
from tests.sandbox.cloud.payloads import CORE_GROUP, ERROR, group, members, patch, user


def _users(client: httpx.Client, *names: str) -> list[str]:
    ids = []
    for name in names:
        response = client.post("Users", json=user(name))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _group(client: httpx.Client, name: str, *member_ids: str) -> str:
    response = client.post("Groups", json=group(name, *member_ids))
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]
    return group_id


def _error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    detail: str = body["detail"]
    return detail


def _members(client: httpx.Client, group_id: str) -> list[str]:
    return [m["value"] for m in client.get(f"Groups/{group_id}").json().get("members", [])]


def test_create_answers_201_with_members_and_meta(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        (uid,) = _users(client, "jdoe")
        response = client.post("Groups", json=group("engineering", uid, externalId="00g1abcd"))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{cloud.url}/Groups/{body['id']}"
    assert body["schemas"] == [CORE_GROUP]
    assert body["displayName"] == "engineering" and body["externalId"] == "00g1abcd"
    assert body["members"] == [
        {"type": "User", "value": uid, "display": "Jdoe Tester", "$ref": f"{cloud.url}/Users/{uid}"}
    ]
    assert body["meta"]["resourceType"] == "Group"


def test_names_are_unique_across_scim_and_organization_groups(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(extra_groups=("legacy-staff",))
    with cloud.client() as client:
        _group(client, "engineering")
        duplicate = client.post("Groups", json=group("Engineering"))
        site = client.post("Groups", json=group("site-admins"))
        extra = client.post("Groups", json=group("LEGACY-STAFF"))
        listed = client.get("Groups").json()
    assert "Engineering" in _error(duplicate, 409, "uniqueness")
    assert "site-admins" in _error(site, 409, "uniqueness")
    _error(extra, 409, "uniqueness")
    assert [g["displayName"] for g in listed["Resources"]] == ["engineering"]  # org groups are not listed


def test_display_name_filter_and_no_other(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=60)
    with cloud.client() as client:
        gid = _group(client, "Test SCIMv2")
        found = client.get(
            "Groups", params={"filter": 'displayName eq "test scimv2"', "excludedAttributes": "members"}
        )
        none = client.get("Groups", params={"filter": 'displayName eq "nope"'}).json()
        refused = [client.get("Groups", params={"filter": f}) for f in
                   ('displayName co "Test"', 'externalId eq "x"', 'members.value eq "x"')]  # fmt: skip
    assert [g["id"] for g in found.json()["Resources"]] == [gid]
    assert "members" not in found.json()["Resources"][0]
    assert none["totalResults"] == 0
    for response in refused:
        _error(response, 400, "invalidFilter")


def test_membership_patch_forms(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        a, b, c, d = _users(client, "a", "b", "c", "d")
        gid = _group(client, "engineering")
        added = client.patch(f"Groups/{gid}", json=patch(
            {"op": "add", "path": "members", "value": members(a, b, c)},
            {"op": "Add", "path": "members", "value": members(a)},  # already a member: no change
        ))  # fmt: skip
        # Okta (OIN): removal by value filter, then an add, with the unchanged name
        okta = client.patch(f"Groups/{gid}", json=patch(
            {"op": "replace", "value": {"id": gid, "displayName": "engineering"}},
            {"op": "remove", "path": f'members[value eq "{a}"]'},
            {"op": "add", "path": "members", "value": [{"value": d, "display": "d"}]},
        ))  # fmt: skip
        # Entra default: Remove with path members and a value list; removal of a non-member is no error
        entra = client.patch(f"Groups/{gid}", json=patch(
            {"op": "Remove", "path": "members", "value": members(b, a)}
        ))  # fmt: skip
        replaced = client.patch(
            f"Groups/{gid}", json=patch({"op": "replace", "path": "members", "value": members(a, b)})
        )
        cleared = client.patch(f"Groups/{gid}", json=patch({"op": "remove", "path": "members"}))
    assert added.status_code == 200
    assert [m["value"] for m in added.json()["members"]] == [a, b, c]
    assert [m["value"] for m in okta.json()["members"]] == [b, c, d]
    assert [m["value"] for m in entra.json()["members"]] == [c, d]
    assert [m["value"] for m in replaced.json()["members"]] == [a, b]
    assert cleared.json()["members"] == []
    assert cloud.sandbox.state.groups_of(a) == []


def test_renaming_is_refused_in_patch_and_put(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        (uid,) = _users(client, "jdoe")
        gid = _group(client, "engineering", uid)
        by_path = client.patch(
            f"Groups/{gid}", json=patch({"op": "replace", "path": "displayName", "value": "eng"})
        )
        no_path = client.patch(f"Groups/{gid}", json=patch(
            {"op": "replace", "value": {"displayName": "eng"}},
            {"op": "remove", "path": "members"},
        ))  # fmt: skip
        put = client.put(f"Groups/{gid}", json=group("eng", uid))
        same_name_put = client.put(f"Groups/{gid}", json=group("engineering", externalId="x"))
    for response in (by_path, no_path, put):
        assert "Renaming a group is not supported" in _error(response, 400, "mutability")
    assert same_name_put.status_code == 200
    assert same_name_put.json()["members"] == [] and same_name_put.json()["externalId"] == "x"
    assert cloud.sandbox.state.groups[gid].display_name == "engineering"


def test_members_must_be_users_of_the_directory(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        (uid,) = _users(client, "jdoe")
        gid = _group(client, "engineering")
        other = _group(client, "other")
        unknown = client.patch(f"Groups/{gid}", json=patch(
            {"op": "add", "path": "members", "value": members(uid, "not-a-user")}
        ))  # fmt: skip
        nested = client.patch(f"Groups/{gid}", json=patch(
            {"op": "add", "path": "members", "value": [{"value": other, "type": "Group"}]}
        ))  # fmt: skip
        create = client.post("Groups", json=group("new", "ghost"))
    assert "'not-a-user'" in _error(unknown, 400, "invalidValue")
    assert "nested" in _error(nested, 400, "invalidValue")
    _error(create, 400, "invalidValue")
    assert _members_of(cloud, gid) == []  # all or nothing


def _members_of(cloud: RunningCloud, group_id: str) -> list[str]:
    return list(cloud.sandbox.state.groups[group_id].members)


def test_group_size_limit_is_a_400_naming_it(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(max_group_members=2)
    with cloud.client() as client:
        a, b, c = _users(client, "a", "b", "c")
        gid = _group(client, "engineering", a, b)
        response = client.patch(
            f"Groups/{gid}", json=patch({"op": "add", "path": "members", "value": members(c)})
        )
    assert "at most 2 users" in _error(response, 400)
    assert _members_of(cloud, gid) == [a, b]


def test_patch_errors(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        gid = _group(client, "engineering")
        no_target = client.patch(f"Groups/{gid}", json=patch({"op": "remove"}))
        bad_path = client.patch(
            f"Groups/{gid}", json=patch({"op": "replace", "path": "owners", "value": "x"})
        )
        bad_op = client.patch(f"Groups/{gid}", json=patch({"op": "merge", "path": "members", "value": []}))
        no_schema = client.patch(f"Groups/{gid}", json={"Operations": [{"op": "remove", "path": "members"}]})
    _error(no_target, 400, "noTarget")
    _error(bad_path, 400, "invalidPath")
    _error(bad_op, 400, "invalidSyntax")
    _error(no_schema, 400, "invalidSyntax")


def test_attributes_on_groups(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=40)
    state = cloud.sandbox.state
    big = max(state.groups.values(), key=lambda g: len(g.members))
    with cloud.client() as client:
        only_name = client.get(f"Groups/{big.id}", params={"attributes": "displayName"}).json()
        no_members = client.get("Groups", params={"excludedAttributes": "members"}).json()
        member_values = client.get(f"Groups/{big.id}", params={"attributes": "members.value"}).json()
    assert only_name == {"schemas": [CORE_GROUP], "id": big.id, "displayName": big.display_name}
    assert all("members" not in g for g in no_members["Resources"])
    assert member_values["members"] == [{"value": m} for m in big.members]


def test_delete_answers_204_and_then_404(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox()
    with cloud.client() as client:
        (uid,) = _users(client, "jdoe")
        gid = _group(client, "engineering", uid)
        deleted = client.delete(f"Groups/{gid}")
        again = client.delete(f"Groups/{gid}")
        read = client.get(f"Groups/{gid}")
        user_groups = client.get(f"Users/{uid}").json()
        recreated = client.post("Groups", json=group("engineering"))
    assert deleted.status_code == 204
    _error(again, 404)
    _error(read, 404)
    assert "groups" not in user_groups
    assert recreated.status_code == 201  # the name is free again
