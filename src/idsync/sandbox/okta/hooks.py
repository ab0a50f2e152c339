"""/api/v1/eventHooks: create, get, list, replace, delete, and lifecycle verify / activate /
deactivate. Super-admin only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.delivery import verify
from idsync.sandbox.okta.errors import OktaError, not_found, validation
from idsync.sandbox.okta.model import EventHook
from idsync.sandbox.okta.render import hook_json
from idsync.sandbox.okta.users import state_of

MAX_ACTIVE_VERIFIED = 25
MAX_EVENT_TYPES = 300
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _parse(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation("name", "The field cannot be left blank")
    events = body.get("events")
    items = events.get("items") if isinstance(events, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise validation("events.items", "must be a non-empty list of event type names")
    if len(items) > MAX_EVENT_TYPES:
        raise validation("events.items", f"at most {MAX_EVENT_TYPES} event types, got {len(items)}")
    channel = body.get("channel")
    config = channel.get("config") if isinstance(channel, dict) else None
    if not isinstance(config, dict):
        raise validation("channel.config", "is required, with at least a uri")
    uri = config.get("uri")
    parts = urlsplit(uri) if isinstance(uri, str) else None
    allow_http = (
        request.app.state.okta_options.hook_allow_http_loopback
        and parts is not None
        and (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    )
    if parts is None or not parts.hostname or (parts.scheme != "https" and not allow_http):
        raise validation("channel.config.uri", f"{uri!r} is not valid: it must be an https:// URL")
    headers = config.get("headers") or []
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("key"), str) and isinstance(h.get("value"), str)
        for h in headers
    ):
        raise validation("channel.config.headers", 'must be a list of {"key": "…", "value": "…"}')
    auth = config.get("authScheme")
    if auth is not None and not (
        isinstance(auth, dict) and isinstance(auth.get("key"), str) and isinstance(auth.get("value"), str)
    ):
        raise validation("channel.config.authScheme", 'must be {"type": "HEADER", "key": "…", "value": "…"}')
    return {
        "name": name,
        "event_types": list(items),
        "uri": uri,
        "headers": headers,
        "auth_key": auth["key"] if auth else None,
        "auth_value": auth["value"] if auth else None,
    }


def _hook(request: Request) -> EventHook:
    hook = state_of(request).hooks.get(request.path_params["hook"])
    if hook is None:
        raise not_found(request.path_params["hook"], "EventHook")
    return hook


async def create_hook(request: Request) -> Response:
    """POST /api/v1/eventHooks: ACTIVE and UNVERIFIED until verified."""
    web.require_admin(request)
    state = state_of(request)
    fields = _parse(request, await web.body_json(request))
    now = state.now()
    hook = EventHook(state.new_id("who", state.hooks), created=now, last_updated=now, **fields)
    state.hooks[hook.id] = hook
    return web.json_response(hook_json(hook, web.base(request)))


async def list_hooks(request: Request) -> Response:
    """GET /api/v1/eventHooks."""
    web.require_admin(request)
    root = web.base(request)
    return web.json_response([hook_json(h, root) for h in state_of(request).hooks.values()])


async def get_hook(request: Request) -> Response:
    """GET /api/v1/eventHooks/{id}."""
    web.require_admin(request)
    return web.json_response(hook_json(_hook(request), web.base(request)))


async def replace_hook(request: Request) -> Response:
    """PUT /api/v1/eventHooks/{id}: a changed URI needs verifying again."""
    web.require_admin(request)
    hook = _hook(request)
    fields = _parse(request, await web.body_json(request))
    if fields["uri"] != hook.uri:
        hook.verification_status = "UNVERIFIED"
    for name, value in fields.items():
        setattr(hook, name, value)
    hook.last_updated = state_of(request).now()
    return web.json_response(hook_json(hook, web.base(request)))


async def delete_hook(request: Request) -> Response:
    """DELETE /api/v1/eventHooks/{id} → 204."""
    web.require_admin(request)
    hook = _hook(request)
    del state_of(request).hooks[hook.id]
    return web.empty()


async def verify_hook(request: Request) -> Response:
    """POST /api/v1/eventHooks/{id}/lifecycle/verify: GET the URI with a challenge; 400 on failure."""
    web.require_admin(request)
    hook = _hook(request)
    state = state_of(request)
    if hook.verification_status != "VERIFIED" and hook.status == "ACTIVE":
        verified = sum(
            1 for h in state.hooks.values() if h.status == "ACTIVE" and h.verification_status == "VERIFIED"
        )
        if verified >= MAX_ACTIVE_VERIFIED:
            raise validation(
                "eventHook", f"an org can have at most {MAX_ACTIVE_VERIFIED} active verified hooks"
            )
    if not await verify(hook, request.app.state.okta_options.hook_timeout_s):
        raise OktaError(
            400,
            "E0000001",
            "Api validation failed: Verification failed",
            [
                "eventHook: the endpoint did not answer the verification challenge with "
                '200 {"verification": "<challenge>"}'
            ],
        )
    hook.verification_status = "VERIFIED"
    hook.last_updated = state.now()
    return web.json_response(hook_json(hook, web.base(request)))


async def activate_hook(request: Request) -> Response:
    """POST /api/v1/eventHooks/{id}/lifecycle/activate."""
    web.require_admin(request)
    hook = _hook(request)
    hook.status = "ACTIVE"
    hook.last_updated = state_of(request).now()
    return web.json_response(hook_json(hook, web.base(request)))


async def deactivate_hook(request: Request) -> Response:
    """POST /api/v1/eventHooks/{id}/lifecycle/deactivate: no deliveries while INACTIVE."""
    web.require_admin(request)
    hook = _hook(request)
    hook.status = "INACTIVE"
    hook.last_updated = state_of(request).now()
    return web.json_response(hook_json(hook, web.base(request)))


def routes() -> list[Route]:
    """The event-hook routes."""
    one = "/api/v1/eventHooks/{hook}"
    return [
        Route("/api/v1/eventHooks", create_hook, methods=["POST"]),
        Route("/api/v1/eventHooks", list_hooks, methods=["GET"]),
        Route(one, get_hook, methods=["GET"]),
        Route(one, replace_hook, methods=["PUT"]),
        Route(one, delete_hook, methods=["DELETE"]),
        Route(one + "/lifecycle/verify", verify_hook, methods=["POST"]),
        Route(one + "/lifecycle/activate", activate_hook, methods=["POST"]),
        Route(one + "/lifecycle/deactivate", deactivate_hook, methods=["POST"]),
    ]
