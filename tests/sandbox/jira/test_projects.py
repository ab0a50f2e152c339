"""Projects and components: list/get, lead hand-over, and the refusal to deactivate a lead."""

from __future__ import annotations


def _lead_of(jira, project_key):
    state = jira.sandbox.state
    return state.users[state.projects[project_key].lead].name


def test_projects_and_components_are_listed_with_leads(jira_sandbox):
    jira = jira_sandbox(users=30, projects=3)
    with jira.client() as client:
        projects = client.get("/rest/api/2/project", params={"expand": "lead"}).json()
        assert len(projects) == 3
        key = projects[0]["key"]
        assert projects[0]["lead"]["name"] == _lead_of(jira, key)
        by_id = client.get(f"/rest/api/2/project/{projects[0]['id']}").json()
        by_key = client.get(f"/rest/api/2/project/{key}").json()
        components = client.get(f"/rest/api/2/project/{key}/components").json()
        assert client.get("/rest/api/2/project/NOPE").status_code == 404
    assert by_id == by_key
    assert by_key["components"] == components
    assert all(c["project"] == key for c in components)


def test_a_project_lead_cannot_be_deactivated_until_the_lead_is_handed_over(jira_sandbox):
    jira = jira_sandbox(users=30, projects=1)
    key = next(iter(jira.sandbox.state.projects))
    lead = _lead_of(jira, key)
    with jira.client() as client:
        for component_id in list(jira.sandbox.state.components):
            client.put(f"/rest/api/2/component/{component_id}", json={"leadUserName": ""})
        refused = client.put("/rest/api/2/user", params={"username": lead}, json={"active": False})
        assert refused.status_code == 400
        assert refused.json()["errorMessages"] == []
        assert key in refused.json()["errors"]["active"]
        assert client.get("/rest/api/2/user", params={"username": lead}).json()["active"] is True
        handed = client.put(f"/rest/api/2/project/{key}", json={"lead": "admin"})
        assert handed.status_code == 201  # the old Server docs' 201 (the DC schema says 200)
        assert handed.json()["lead"]["name"] == "admin"
        done = client.put("/rest/api/2/user", params={"username": lead}, json={"active": False})
    assert done.status_code == 200
    assert done.json()["active"] is False


def test_a_component_lead_cannot_be_deactivated_until_the_lead_is_cleared(jira_sandbox):
    jira = jira_sandbox(users=10, projects=1)
    state = jira.sandbox.state
    project_key = next(iter(state.projects))
    component_id = next(iter(state.components))
    lead = next(
        u.name
        for u in state.users.values()
        if u.active and u.name != "admin" and u.key != state.projects[project_key].lead
    )
    with jira.client() as client:
        set_lead = client.put(f"/rest/api/2/component/{component_id}", json={"leadUserName": lead})
        assert set_lead.status_code == 200
        assert set_lead.json()["leadUserName"] == lead
        for other in list(state.components):
            if other != component_id:
                client.put(f"/rest/api/2/component/{other}", json={"leadUserName": ""})
        refused = client.put("/rest/api/2/user", params={"username": lead}, json={"active": "false"})
        assert refused.status_code == 400
        assert project_key in refused.json()["errors"]["active"]
        cleared = client.put(f"/rest/api/2/component/{component_id}", json={"leadUserName": ""})
        assert "lead" not in cleared.json()
        assert (
            client.put("/rest/api/2/user", params={"username": lead}, json={"active": False}).status_code
            == 200
        )


def test_a_new_lead_must_be_an_existing_active_user(jira_sandbox):
    jira = jira_sandbox(users=5, projects=1)
    key = next(iter(jira.sandbox.state.projects))
    component_id = next(iter(jira.sandbox.state.components))
    with jira.client() as client:
        client.post(
            "/rest/api/2/user", json={"name": "idle", "emailAddress": "i@example.com", "displayName": "I"}
        )
        client.put("/rest/api/2/user", params={"username": "idle"}, json={"active": False})
        ghost = client.put(f"/rest/api/2/project/{key}", json={"lead": "ghost"})
        idle = client.put(f"/rest/api/2/project/{key}", json={"lead": "idle"})
        component = client.put(f"/rest/api/2/component/{component_id}", json={"leadUserName": "ghost"})
    assert (ghost.status_code, idle.status_code, component.status_code) == (400, 400, 400)
    assert "projectLead" in ghost.json()["errors"]
    assert "leadUserName" in component.json()["errors"]
