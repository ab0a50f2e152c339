"""User properties: /rest/api/2/user/properties[/{propertyKey}]?username=|userKey= (the entity-property
pattern: list keys, GET {"key","value"}, PUT the raw JSON value → 201 created / 200 updated, DELETE 204)."""

from __future__ import annotations

from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.jira.beans import API
from idsync.sandbox.atlassian.jira.state import JiraUser
from idsync.sandbox.atlassian.jira.users import find_user
from idsync.sandbox.atlassian.jira.web import (
    JiraError,
    base_url,
    empty,
    json,
    require_admin,
    require_user,
)

MAX_KEY = 255
MAX_VALUE = 32768


def _owner(request: Request) -> JiraUser:
    return find_user(request, key_param="userKey")


def _self(base: str, user: JiraUser, key: str) -> str:
    return f"{base}{API}/user/properties/{quote(key)}?username={quote(user.name)}"


async def list_keys(request: Request) -> Response:
    """GET /user/properties?username=: {"keys": [{"self", "key"}]}."""
    require_user(request)
    user = _owner(request)
    base = base_url(request)
    return json({"keys": [{"self": _self(base, user, k), "key": k} for k in sorted(user.properties)]})


async def get_property(request: Request) -> Response:
    """GET /user/properties/{key}?username=: {"key", "value"}, or 404."""
    require_user(request)
    user = _owner(request)
    key = request.path_params["key"]
    if key not in user.properties:
        raise JiraError(404, f"Property with key '{key}' not found.")  # text unverified
    return json({"key": key, "value": user.properties[key]})


async def put_property(request: Request) -> Response:
    """PUT /user/properties/{key}?username=: body is the JSON value; 201 when new, 200 when replaced."""
    require_admin(request)
    user = _owner(request)
    key = request.path_params["key"]
    if len(key) > MAX_KEY:
        raise JiraError(400, f"The property key must not exceed {MAX_KEY} characters.")
    raw = await request.body()
    if len(raw) > MAX_VALUE:
        raise JiraError(400, f"The property value must not exceed {MAX_VALUE} characters.")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise JiraError(400, "The property value must be valid JSON.") from None
    created = key not in user.properties
    user.properties[key] = value
    return empty(201 if created else 200)


async def delete_property(request: Request) -> Response:
    """DELETE /user/properties/{key}?username=: 204, or 404 when absent."""
    require_admin(request)
    user = _owner(request)
    key = request.path_params["key"]
    if key not in user.properties:
        raise JiraError(404, f"Property with key '{key}' not found.")
    del user.properties[key]
    return empty(204)


def routes() -> list[Route]:
    """The user-property routes under /rest/api/2."""
    path = "/rest/api/2/user/properties"
    return [
        Route(path, list_keys, methods=["GET"]),
        Route(path + "/{key:path}", get_property, methods=["GET"]),
        Route(path + "/{key:path}", put_property, methods=["PUT"]),
        Route(path + "/{key:path}", delete_property, methods=["DELETE"]),
    ]
