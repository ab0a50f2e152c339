"""Projects and components: list, get, and the lead hand-over a sync needs before it
can deactivate a lead. The new lead must be an existing active user (Jira answers 400 otherwise)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import component_bean, project_bean
from idsync.sandbox.atlassian.jira.state import Component, JiraState, JiraUser, Project
from idsync.sandbox.atlassian.jira.web import (
    JiraError,
    base_url,
    body_object,
    json,
    require_admin,
    require_user,
    state_of,
)

ASSIGNEE_TYPES = ("PROJECT_LEAD", "UNASSIGNED")
COMPONENT_ASSIGNEE_TYPES = ("PROJECT_DEFAULT", "COMPONENT_LEAD", "PROJECT_LEAD", "UNASSIGNED")


def _project(request: Request) -> Project:
    state = state_of(request)
    wanted = request.path_params["project"]
    project = state.projects.get(wanted) or state.projects.get(wanted.upper())
    if project is None and wanted.isdigit():
        project = next((p for p in state.projects.values() if p.id == int(wanted)), None)
    if project is None:
        raise JiraError(404, f"No project could be found with key '{wanted}'.")  # text unverified
    return project


def _lead(state: JiraState, field: str, name: object) -> JiraUser:
    # Field errors as Jira's project/component validation reports them; texts unverified.
    if not isinstance(name, str) or not name:
        raise JiraError(400, errors={field: "You must specify a valid project lead."})
    user = state.user_by_name(name)
    if user is None:
        raise JiraError(400, errors={field: f"The user '{name}' does not exist."})
    if not user.active:
        raise JiraError(400, errors={field: f"The user '{name}' is inactive and cannot be a lead."})
    return user


async def list_projects(request: Request) -> Response:
    """GET /project[?expand=lead,description]: a JSON array."""
    require_user(request)
    state = state_of(request)
    base = base_url(request)
    expand = request.query_params.get("expand", "")
    return json([project_bean(base, p, state, full=False, expand=expand) for p in state.projects.values()])


async def get_project(request: Request) -> Response:
    """GET /project/{idOrKey}: the full project with lead and components."""
    require_user(request)
    return json(project_bean(base_url(request), _project(request), state_of(request), full=True))


async def update_project(request: Request) -> Response:
    """PUT /project/{idOrKey} (ProjectUpdateBean, only non-null fields): 201 with the project
    (the docs disagree: the generated DC schema says 200, the old Server docs 201; this answers 201
    as the Server docs say, and clients accept both)."""
    require_admin(request)
    state = state_of(request)
    project = _project(request)
    body = await body_object(request)
    lead = _lead(state, "projectLead", body["lead"]) if body.get("lead") is not None else None
    assignee = body.get("assigneeType")
    if assignee is not None and assignee not in ASSIGNEE_TYPES:
        raise JiraError(
            400,
            errors={
                "assigneeType": f"Invalid assigneeType '{assignee}'; valid: {', '.join(ASSIGNEE_TYPES)}."
            },
        )
    if lead is not None:
        project.lead = lead.key
    if assignee is not None:
        project.assignee_type = assignee
    for field, attr in (("name", "name"), ("description", "description"), ("url", "url")):
        if isinstance(body.get(field), str):
            setattr(project, attr, body[field])
    return json(project_bean(base_url(request), project, state, full=True), status=201)


async def project_components(request: Request) -> Response:
    """GET /project/{idOrKey}/components: a JSON array."""
    require_user(request)
    state = state_of(request)
    project = _project(request)
    base = base_url(request)
    return json(
        [component_bean(base, c, state) for c in state.components.values() if c.project_key == project.key]
    )


def _component(request: Request) -> Component:
    raw = request.path_params["id"]
    component = state_of(request).components.get(int(raw)) if raw.isdigit() else None
    if component is None:
        raise JiraError(404, f"The component with id {raw} does not exist.")  # text unverified
    return component


async def get_component(request: Request) -> Response:
    """GET /component/{id}."""
    require_user(request)
    return json(component_bean(base_url(request), _component(request), state_of(request)))


async def update_component(request: Request) -> Response:
    """PUT /component/{id} {"leadUserName": ...}: 200 Component; "" clears the lead."""
    require_admin(request)
    state = state_of(request)
    component = _component(request)
    body = await body_object(request)
    assignee = body.get("assigneeType")
    if assignee is not None and assignee not in COMPONENT_ASSIGNEE_TYPES:
        raise JiraError(
            400,
            errors={
                "assigneeType": f"Invalid assigneeType '{assignee}'; valid: "
                f"{', '.join(COMPONENT_ASSIGNEE_TYPES)}."
            },
        )
    if "leadUserName" in body:
        name = body["leadUserName"]
        component.lead = None if name in (None, "") else _lead(state, "leadUserName", name).key
    if assignee is not None:
        component.assignee_type = assignee
    for field in ("name", "description"):
        if isinstance(body.get(field), str):
            setattr(component, field, body[field])
    return json(component_bean(base_url(request), component, state))


def routes() -> list[Route]:
    """The project and component routes under /rest/api/2."""
    return [
        Route("/rest/api/2/project", list_projects, methods=["GET"]),
        Route("/rest/api/2/project/{project}", get_project, methods=["GET"]),
        Route("/rest/api/2/project/{project}", update_project, methods=["PUT"]),
        Route("/rest/api/2/project/{project}/components", project_components, methods=["GET"]),
        Route("/rest/api/2/component/{id}", get_component, methods=["GET"]),
        Route("/rest/api/2/component/{id}", update_component, methods=["PUT"]),
    ]
