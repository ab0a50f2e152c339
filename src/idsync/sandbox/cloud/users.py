"""/Users: list (one `eq` filter on userName or externalId), create, read, replace, patch, delete.

Payloads are read with scim2-models under the directory's policy (unknown attributes ignored);
PATCH operations are applied by scim2-models as RFC 7644 §3.5.2 says (add / replace / remove, with
or without a path, value filters such as `emails[type eq "work"].value`, URN-qualified extension
paths), all or nothing. The user rules of user_rules.py run on the result before it is stored.

DELETE follows Atlassian's API text: the user is deactivated and the SCIM record ends, so every later
request for that id answers 404; the Atlassian account stays (deactivated) and a new POST with the same
e-mail links it again. `active: false` only deactivates: the user keeps its group memberships.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, PatchOp, SCIMException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.cloud.errors import CloudError, from_library, not_found
from idsync.sandbox.cloud.models import ATLASSIAN, CORE_USER, POLICY, USER_SCHEMAS, CloudUser
from idsync.sandbox.cloud.query import eq_filter, list_response, page_of, projection_of
from idsync.sandbox.cloud.state import CloudState, UserRecord
from idsync.sandbox.cloud.user_rules import check_room, check_unique, primary_email
from idsync.sandbox.cloud.web import (
    PREFIX,
    body_object,
    directory_url,
    no_content,
    runtime_of,
    scim,
    state_of,
)


def render(record: UserRecord, state: CloudState, base: str) -> dict[str, Any]:
    """The user as Atlassian answers it: the stored attributes plus id, the read-only groups, the
    Atlassian account id and meta."""
    doc: dict[str, Any] = {"schemas": USER_SCHEMAS, "id": record.id, **record.document}
    groups = state.groups_of(record.id)
    if groups:
        doc["groups"] = [
            {"value": g.id, "display": g.display_name, "type": "direct", "$ref": f"{base}/Groups/{g.id}"}
            for g in groups
        ]
    doc[ATLASSIAN] = {"atlassianAccountId": record.account_id}
    doc["meta"] = {
        "resourceType": "User",
        "location": f"{base}/Users/{record.id}",
        "created": stamp(record.created),
        "lastModified": stamp(record.modified),
    }
    return doc


def stamp(moment: datetime) -> str:
    """A timestamp as Atlassian writes it: UTC with milliseconds."""
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond // 1000:03d}Z"


def _existing(request: Request) -> UserRecord:
    user_id = request.path_params["user_id"]
    record = state_of(request).users.get(user_id)
    if record is None:
        raise not_found("user", user_id)
    return record


def _read(body: dict[str, Any], context: Context) -> CloudUser:
    try:
        return CloudUser.model_validate(body, scim_ctx=context, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise from_library(exc, "USER") from exc


def _store(request: Request, resource: CloudUser, old: UserRecord | None) -> UserRecord:
    """Check `resource` against the user rules and store it (a new user when `old` is None)."""
    runtime = runtime_of(request)
    state, options, now = runtime.state, runtime.options, runtime.clock.now()
    email = primary_email(resource, options)
    check_unique(state, resource, email, old.id if old else None)
    resource = resource.model_copy(update={"id": None, "meta": None, "groups": None})
    if old is None:
        check_room(state, options)
        account = state.link_account(email, resource.active is not False)
        record = UserRecord(state.new_id(), resource, account.account_id, now, now)
    else:
        state.move_account(old.account_id, email)
        state.set_account_active(old.account_id, resource.active is not False)
        record = UserRecord(old.id, resource, old.account_id, old.created, now)
    state.put_user(record)
    return record


async def list_users(request: Request) -> Response:
    """GET /Users: all users, or the ones one `eq` filter selects, a page at a time."""
    runtime = runtime_of(request)
    state = runtime.state
    wanted = eq_filter(request, ("userName", "externalId"), CORE_USER)
    page = page_of(request, runtime.options.max_results)
    projection = projection_of(request, CORE_USER)
    if wanted is None:
        ids: list[str] = list(state.users)
    elif wanted.attribute == "userName":
        found = state.user_id_by_name(wanted.value)
        ids = [found] if found else []
    else:
        ids = state.user_ids_by_external_id(wanted.value)
    base = directory_url(request)
    resources = [projection.apply(render(state.users[ids[i]], state, base)) for i in page.slice(len(ids))]
    return scim(list_response(resources, len(ids), page))


async def create_user(request: Request) -> Response:
    """POST /Users: 201 with the user; 409 when the userName exists."""
    resource = _read(await body_object(request), Context.RESOURCE_CREATION_REQUEST)
    record = _store(request, resource, None)
    base = directory_url(request)
    return scim(render(record, state_of(request), base), 201, {"Location": f"{base}/Users/{record.id}"})


async def get_user(request: Request) -> Response:
    """GET /Users/{id}."""
    record = _existing(request)
    doc = render(record, state_of(request), directory_url(request))
    return scim(projection_of(request, CORE_USER).apply(doc))


async def replace_user(request: Request) -> Response:
    """PUT /Users/{id}: the whole user replaced (read-only attributes ignored)."""
    old = _existing(request)
    resource = _read(await body_object(request), Context.RESOURCE_REPLACEMENT_REQUEST)
    record = _store(request, resource, old)
    return scim(render(record, state_of(request), directory_url(request)))


async def patch_user(request: Request) -> Response:
    """PATCH /Users/{id}: a PatchOp applied all or nothing; 200 with the user."""
    old = _existing(request)
    body = await body_object(request)
    try:
        patch = PatchOp[CloudUser].model_validate(
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        resource = old.resource.model_copy(deep=True)
        patch.patch(resource, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise from_library(exc, "USER") from exc
    if resource.user_name is None:
        raise CloudError(400, "Resource [USER] userName is required and cannot be removed", "mutability")
    record = _store(request, resource, old)
    return scim(render(record, state_of(request), directory_url(request)))


async def delete_user(request: Request) -> Response:
    """DELETE /Users/{id}: 204; the account is deactivated and the id answers 404 from now on."""
    record = _existing(request)
    state = state_of(request)
    state.remove_user(record.id)
    state.set_account_active(record.account_id, False)
    return no_content()


def routes() -> list[Route]:
    """The /Users routes."""
    return [
        Route(f"{PREFIX}/Users", list_users, methods=["GET"]),
        Route(f"{PREFIX}/Users", create_user, methods=["POST"]),
        Route(f"{PREFIX}/Users/{{user_id}}", get_user, methods=["GET"]),
        Route(f"{PREFIX}/Users/{{user_id}}", replace_user, methods=["PUT"]),
        Route(f"{PREFIX}/Users/{{user_id}}", patch_user, methods=["PATCH"]),
        Route(f"{PREFIX}/Users/{{user_id}}", delete_user, methods=["DELETE"]),
    ]
