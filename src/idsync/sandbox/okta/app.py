"""`create_app(options) -> OktaSandbox`: the Okta emulator as one ASGI app.

OktaEdge (request id, SSWS auth, rate limits, concurrency)
  └ FaultMiddleware (latency, injected 5xx in Okta's error format, drops)
      └ ProductApp (errors in Okta's format) over the routes: /api/v1/users|groups|apps|logs|eventHooks
        and /_sandbox/
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from idsync.sandbox.common.admin import SandboxControl
from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.faults import FaultMiddleware, Faults
from idsync.sandbox.common.product_app import ProductApp
from idsync.sandbox.okta import apps, groups, hooks, lifecycle, logs, users
from idsync.sandbox.okta.delivery import Deliverer
from idsync.sandbox.okta.edge import OktaEdge, RateLimiter
from idsync.sandbox.okta.errors import (
    JSON_TYPE,
    METHOD_NOT_ALLOWED,
    PATH_NOT_FOUND,
    OktaError,
    injected_error,
)
from idsync.sandbox.okta.generator import generate
from idsync.sandbox.okta.model import Token, okta_id
from idsync.sandbox.okta.options import OktaOptions
from idsync.sandbox.okta.rate_admin import rate_limit_route
from idsync.sandbox.okta.render import hook_json, user_json
from idsync.sandbox.okta.state import OktaState
from idsync.sandbox.okta.web import json_response


@dataclass
class OktaSandbox:
    """A ready emulator: serve `.app`; inspect `.state`; turn knobs with `.control`."""

    app: Any
    control: SandboxControl
    state: OktaState
    tokens: dict[str, Token]
    """SSWS secret → token; the admin token is `.token`."""
    token: str
    options: OktaOptions
    limiter: RateLimiter
    deliverer: Deliverer

    def mint_group_token(self, group_ids: list[str] | set[str], name: str = "group admin") -> str:
        """A token scoped to these groups (what it may see: scope.py); returns its SSWS secret."""
        unknown = sorted(set(group_ids) - set(self.state.groups))
        if unknown:
            raise ValueError(f"unknown group id(s) {unknown}: a scoped token needs existing groups")
        secret = "00" + secrets.token_urlsafe(30)
        self.tokens[secret] = Token(okta_id("00T", random.Random()), name, frozenset(group_ids))
        return secret


async def _okta_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OktaError)
    return Response(exc.body(), status_code=exc.status, media_type=JSON_TYPE)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 (unknown path) and 405 (method) as Okta answers them: E0000008, E0000022."""
    assert isinstance(exc, HTTPException)
    return await _okta_error(request, METHOD_NOT_ALLOWED if exc.status_code == 405 else PATH_NOT_FOUND)


def _dump(state: OktaState) -> dict[str, Any]:
    root = "http://sandbox"
    return {
        "users": [user_json(state.users[uid], root) for uid in state.user_ids],
        "groups": [
            {
                "id": g.id,
                "type": g.type,
                "profile": g.profile,
                "created": g.created,
                "lastUpdated": g.last_updated,
                "lastMembershipUpdated": g.last_membership_updated,
                "source": g.source_app_id,
                "members": state.member_ids(g.id),
            }
            for g in (state.groups[gid] for gid in state.group_ids)
        ],
        "apps": [
            {
                "id": a.id,
                "name": a.name,
                "label": a.label,
                "users": sorted(state.app_users[a.id]),
                "groups": sorted(state.app_groups[a.id]),
            }
            for a in (state.apps[aid] for aid in state.app_ids)
        ],
        "eventHooks": [hook_json(h, root) for h in state.hooks.values()],
        "logEvents": len(state.log.events),
    }


def create_app(options: OktaOptions) -> OktaSandbox:
    """Generate the org from `options` and build the emulator around it."""
    options.validate()
    clock = Clock()

    def fresh() -> OktaState:
        return generate(
            options.users, options.groups, options.apps, options.seed, clock, memberships=options.memberships
        )

    state = fresh()
    secret = options.token or "00" + secrets.token_urlsafe(30)
    tokens = {secret: Token("00Tsandbox0000000000", "sandbox admin")}
    deliverer = Deliverer(state.hooks, clock, options.hook_batch_ms, options.hook_timeout_s)
    state.log.listeners.append(deliverer)
    limiter = RateLimiter(options.rate_limit, clock)

    def reset() -> None:
        new = fresh()
        new.log.listeners.append(deliverer)
        state.__dict__.update(new.__dict__)
        deliverer.hooks = state.hooks
        deliverer.pending.clear()
        limiter.reset()

    routes = [
        *users.routes(),
        *lifecycle.routes(),
        *groups.routes(),
        *apps.routes(),
        *logs.routes(),
        *hooks.routes(),
    ]
    faults = Faults(
        latency_ms=options.latency_ms,
        jitter_ms=options.jitter_ms,
        read_fail_rate=options.fail_rate,
        write_fail_rate=options.fail_rate,
    )
    control = SandboxControl(faults, clock, lambda: _dump(state), reset)
    product = ProductApp(Router(routes=[*routes, *control.routes(), rate_limit_route(limiter, options)]),
                         {OktaError: _okta_error, HTTPException: _http_error})
    product.state.okta = state
    product.state.okta_options = options
    middleware = FaultMiddleware(product, faults, injected_error, seed=options.seed)
    control.middleware = middleware
    edge = OktaEdge(middleware, tokens, limiter)
    return OktaSandbox(edge, control, state, tokens, secret, options, limiter, deliverer)


__all__ = ["OktaSandbox", "create_app", "json_response"]
