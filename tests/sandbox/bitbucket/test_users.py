"""User administration over HTTP: creation by query parameters (204, no body), case-insensitive
uniqueness (409), the strict PUT body, rename keeping the id, delete, and the paging envelope."""

from __future__ import annotations

NEW = {"name": "JDoe", "displayName": "John Doe", "emailAddress": "jdoe@example.com", "password": "pw"}


def _find(client, name):
    page = client.get("/admin/users", params={"filter": name}).json()
    return next(u for u in page["values"] if u["name"].lower() == name.lower())


def test_create_takes_query_parameters_and_answers_204_without_a_body(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        created = client.post("/admin/users", params=NEW)
        assert created.status_code == 204
        assert created.content == b""
        user = _find(client, "jdoe")
    assert user["name"] == "JDoe"  # case kept
    assert user["slug"] == "jdoe"
    assert user["id"] == 2
    assert user["active"] is True
    assert user["directoryName"] == "Bitbucket Internal Directory"
    assert user["links"]["self"][0]["href"].endswith("/users/jdoe")
    # addToDefaultGroup defaults to true: the new user joins stash-users and takes a seat
    assert "stash-users" in bb.sandbox.state.user_by_name("jdoe").groups


def test_create_without_the_default_group_takes_no_seat(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        assert client.post("/admin/users", params=NEW | {"addToDefaultGroup": "false"}).status_code == 204
    user = bb.sandbox.state.user_by_name("jdoe")
    assert user.groups == set()
    assert not bb.sandbox.state.is_licensed(user)


def test_create_refuses_duplicates_in_any_case_and_names_the_field(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        duplicate = client.post("/admin/users", params=NEW | {"name": "JDOE"})
        no_password = client.post(
            "/admin/users", params={k: v for k, v in NEW.items() if k != "password"} | {"name": "other"}
        )
        notified = client.post(
            "/admin/users",
            params={k: v for k, v in NEW.items() if k != "password"} | {"name": "other", "notify": "true"},
        )
        bad_email = client.post("/admin/users", params=NEW | {"name": "x", "emailAddress": "nope"})
        json_body = client.post("/admin/users", json=NEW | {"name": "viajson"})
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["message"] == "Another user with the same name already exists."
    assert no_password.status_code == 400
    assert no_password.json()["errors"][0]["context"] == "password"
    assert notified.status_code == 204
    assert bad_email.json()["errors"][0]["context"] == "emailAddress"
    assert json_body.status_code == 400, "a JSON body is not how Bitbucket takes a new user"


def test_update_accepts_only_name_display_name_and_email(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        updated = client.put(
            "/admin/users", json={"name": "jdoe", "displayName": "J. Doe", "email": "j@x.org"}
        )
        active = client.put("/admin/users", json={"name": "jdoe", "active": False})
        missing = client.put("/admin/users", json={"name": "nobody", "displayName": "N"})
    assert updated.status_code == 200
    assert updated.json()["displayName"] == "J. Doe"
    assert updated.json()["emailAddress"] == "j@x.org"
    assert active.status_code == 400
    assert active.json()["errors"][0]["message"] == (
        'Unrecognized field "active" (Class com.atlassian.stash.internal.rest.user.json.UserUpdate), '
        "not marked as ignorable"
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["exceptionName"] == "com.atlassian.bitbucket.user.NoSuchUserException"


def test_rename_keeps_the_id_memberships_and_follows_with_the_slug(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        client.post("/admin/users", params=NEW | {"name": "taken"})
        renamed = client.post("/admin/users/rename", json={"name": "jdoe", "newName": "John.Doe"})
        clash = client.post("/admin/users/rename", json={"name": "john.doe", "newName": "TAKEN"})
        unknown = client.post("/admin/users/rename", json={"name": "nobody", "newName": "x"})
    assert renamed.status_code == 200
    assert renamed.json()["id"] == 2
    assert renamed.json()["slug"] == "john.doe"
    assert "stash-users" in bb.sandbox.state.user_by_name("john.doe").groups
    assert bb.sandbox.state.user_by_name("jdoe") is None
    assert clash.status_code == 400
    assert unknown.status_code == 404


def test_delete_returns_the_user_and_refuses_oneself(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        deleted = client.delete("/admin/users", params={"name": "JDOE"})
        again = client.delete("/admin/users", params={"name": "jdoe"})
        myself = client.delete("/admin/users", params={"name": "admin"})
    assert deleted.status_code == 200
    assert deleted.json()["name"] == "JDoe"
    assert again.status_code == 404
    assert myself.status_code == 409
    assert bb.sandbox.state.user_by_name("jdoe") is None


def test_credentials_are_set_and_then_work_for_basic_auth(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        assert (
            client.put(
                "/admin/users/credentials", json={"name": "jdoe", "password": "new", "passwordConfirm": "new"}
            ).status_code
            == 204
        )
        assert (
            client.put(
                "/admin/users/credentials", json={"name": "jdoe", "password": "a", "passwordConfirm": "b"}
            ).status_code
            == 400
        )
    with bb.client(headers={}, auth=("jdoe", "new")) as as_user:
        assert as_user.get("/users").status_code == 200


def test_paging_envelope_follows_next_page_start_to_the_last_page(bitbucket_sandbox):
    bb = bitbucket_sandbox(users=60, max_page_size=25)
    names: list[str] = []
    with bb.client() as client:
        first = client.get("/admin/users", params={"limit": 1000}).json()
        assert first["limit"] == 25, "the server caps limit"
        assert first["start"] == 0 and first["size"] == 25 and first["isLastPage"] is False
        assert first["nextPageStart"] == 25
        page = first
        names += [u["name"] for u in page["values"]]
        while not page["isLastPage"]:
            page = client.get("/admin/users", params={"start": page["nextPageStart"], "limit": 25}).json()
            names += [u["name"] for u in page["values"]]
        default = client.get("/admin/users").json()
    assert "nextPageStart" not in page
    assert len(names) == len(set(names)) == 61
    assert names == sorted(names, key=str.lower)
    assert default["limit"] == 25


def test_filter_matches_name_display_name_or_email(bitbucket_sandbox):
    bb = bitbucket_sandbox()
    with bb.client() as client:
        client.post("/admin/users", params=NEW)
        client.post(
            "/admin/users", params=NEW | {"name": "other", "displayName": "Zed", "emailAddress": "z@doe.org"}
        )
        by_display = client.get("/admin/users", params={"filter": "JOHN"}).json()["values"]
        by_email = client.get("/admin/users", params={"filter": "doe.org"}).json()["values"]
        latest = client.get(f"{bb.url}/rest/api/latest/admin/users", params={"filter": "doe"}).json()[
            "values"
        ]
    assert [u["name"] for u in by_display] == ["JDoe"]
    assert [u["name"] for u in by_email] == ["other"]
    assert {u["name"] for u in latest} == {"JDoe", "other"}
