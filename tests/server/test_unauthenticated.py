"""Every route of `idsync serve` refuses a request without valid credentials with 401, enumerated from
the served app itself so that a new route cannot be missed: the SCIM mounts (every route of the SCIM
protocol table, on both versions), the REST API (every route FastAPI has, not only the documented
ones) and the Okta Event Hooks receiver. A route the sweep cannot place fails the test until it is
given a family here or an exemption with its reason.

Exempt, each for a reason: /healthz and /metrics (monitoring, read by load balancers and Prometheus);
the REST API's OpenAPI document and its viewer (public by design, the API's auth module says so); the
hooks receiver's verification GET without the header (Okta's one-time challenge, echoed, reveals
nothing); /ui, which sends a browser to its login page instead (tested with the UI).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from scim2_server.routing import ROUTES as SCIM_ROUTES
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from idsync.config.model import IdsyncConfig
from idsync.sandbox.common.server import RunningServer, serve_in_thread
from idsync.server.api import PREFIX as API_PREFIX
from idsync.server.api.auth import OPEN_PATHS, BearerAuth
from idsync.server.runner import build
from idsync.service.provisioning import Provisioner
from idsync.service.tokens import create_api_token
from idsync.sources.scim import tokens
from idsync.sources.scim.provider import inbox_provider
from idsync.sources.scim.wire import ScimMount
from idsync.store import Store

HOOK_SECRET = "a-hook-secret-of-enough-length-0123"
OPEN = {"/healthz", "/metrics"}
SKIPPED_PREFIXES = ("/ui",)
"""The admin UI redirects to its login page; its own tests cover that."""


@dataclass
class Served:
    """The app under uvicorn, its routes, and one valid credential of each kind (for the cross checks)."""

    app: Starlette
    server: RunningServer
    scim_token: str
    api_token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("unauthenticated")
    config = IdsyncConfig.model_validate(
        {
            "database": f"sqlite:///{tmp / 'idsync.db'}",
            "connections": {
                "inbox": {"type": "scim_inbound"},
                "okta": {
                    "type": "okta",
                    "url": "http://127.0.0.1:9",
                    "token": "not-used-here",
                    "event_hooks": {"secret": HOOK_SECRET},
                },
            },
            "profiles": {},
        }
    )
    with Store.open(config.database) as store:
        scim_token = tokens.issue(store.engine, "inbox")
        api_token = create_api_token(store, "sweep").token
        app, _parts = build(config, store, Provisioner(config, store))
        server = serve_in_thread(app)
        try:
            yield Served(app, server, scim_token, api_token)
        finally:
            server.stop()


@dataclass(frozen=True)
class Call:
    """One route of the app, made concrete: method, path, and the family that says how it is guarded."""

    family: str
    method: str
    path: str


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _scim_calls(mount: str) -> list[Call]:
    """Every route of the SCIM protocol table under one mount, for every resource type's endpoint."""
    endpoints = [rt.endpoint or "" for rt in inbox_provider().resource_types]
    calls = []
    for route in SCIM_ROUTES:
        for endpoint in endpoints if "{endpoint}" in route.pattern else [""]:
            path = route.pattern.replace("{endpoint}", endpoint.strip("/")).replace("{resource_id}", "x")
            calls.append(Call("scim", route.method, mount + path))
    if mount.startswith("/scim/v1/"):
        calls.append(Call("scim", "GET", mount + "/ServiceProviderConfigs"))  # the 1.1 spelling
    return calls


def _api_routes(routes: list[Any]) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every REST API route. FastAPI keeps each included router as one route
    object whose `effective_route_contexts()` yields the routes it holds, with their full paths."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                yield context.path, set(getattr(context.original_route, "methods", None) or {"GET"})
        else:
            yield route.path, set(getattr(route, "methods", None) or {"GET"})


def enumerate_calls(app: Starlette) -> tuple[list[Call], list[str]]:
    """The calls to make for every route of `app`, and the routes the sweep cannot place."""
    calls: list[Call] = []
    unplaced: list[str] = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(route, ScimMount) and path.startswith("/scim/"):
            calls += _scim_calls(path)
        elif isinstance(route, Mount) and path == API_PREFIX and isinstance(route.app, BearerAuth):
            for sub, methods in _api_routes(route.app.app.routes):  # type: ignore[attr-defined]  # FastAPI's
                family = "open" if sub in OPEN_PATHS else "api"
                calls += [Call(family, method, path + _concrete(sub)) for method in sorted(methods)]
        elif isinstance(route, Route) and path.startswith("/hooks/okta/"):
            concrete = path.replace("{connection}", "okta")
            calls += [Call("hooks", method, concrete) for method in sorted(route.methods or ())]
        elif isinstance(route, Route) and path in OPEN:
            calls.append(Call("open", "GET", path))
        else:
            unplaced.append(f"{type(route).__name__} {path}")
    return calls, unplaced


def test_every_route_is_placed(served: Served) -> None:
    calls, unplaced = enumerate_calls(served.app)
    assert unplaced == [], "routes the sweep does not know: give them a family or an exemption here"
    families = {c.family for c in calls}
    assert families == {"scim", "api", "hooks", "open"}
    assert sum(c.family == "scim" for c in calls) >= 2 * len(SCIM_ROUTES)
    assert sum(c.family == "api" for c in calls) >= 13
    assert {
        c.path.removeprefix(API_PREFIX) for c in calls if c.path.startswith(API_PREFIX) and c.family == "open"
    } == {"/openapi.json", "/docs", "/docs/oauth2-redirect"}, (
        "a REST API route became open: argue it in the module docstring"
    )


def _send(served: Served, call: Call, headers: dict[str, str]) -> httpx.Response:
    body = b"{}" if call.method in ("POST", "PUT", "PATCH") else b""
    return httpx.request(
        call.method,
        served.server.url + call.path,
        headers={"Content-Type": "application/json", **headers},
        content=body,
        timeout=30,
    )


def _assert_401(call: Call, response: httpx.Response, label: str) -> None:
    assert response.status_code == 401, (label, call, response.status_code, response.text[:300])
    body = response.json()
    if call.family == "scim" and "/scim/v1/" in call.path:
        assert body["Errors"][0]["code"] == 401, (label, call, body)
    elif call.family == "scim":
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"] and body["status"] == "401"
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (label, call)
    elif call.family == "api":
        assert body["error"]["field"] == "Authorization", (label, call, body)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (label, call)


def test_every_route_refuses_requests_without_valid_credentials(served: Served) -> None:
    calls, _ = enumerate_calls(served.app)
    guarded = [c for c in calls if c.family != "open" and c.method != "HEAD"]
    for call in guarded:
        wrong = {
            "scim": {"Authorization": f"Bearer {served.api_token}"},  # another kind's valid credential
            "api": {"Authorization": f"Bearer {served.scim_token}"},
            "hooks": {"Authorization": f"Bearer {served.scim_token}"},
        }[call.family]
        variants = {"wrong credential": wrong, "malformed": {"Authorization": "Basic Zm9vOmJhcg=="}}
        if not (call.family == "hooks" and call.method == "GET"):
            variants["no credential"] = {}
        for label, headers in variants.items():
            response = _send(served, call, headers)
            _assert_401(call, response, label)
            assert served.scim_token not in response.text and served.api_token not in response.text


def test_the_exemptions_reveal_nothing(served: Served) -> None:
    calls, _ = enumerate_calls(served.app)
    for call in (c for c in calls if c.family == "open"):
        assert _send(served, call, {}).status_code == 200, call
    # Okta's verification GET, without the secret header: only the challenge sent is echoed
    hook = served.server.url + "/hooks/okta/okta"
    assert httpx.get(hook, timeout=30).status_code == 400
    challenge = httpx.get(hook, headers={"X-Okta-Verification-Challenge": "abc"}, timeout=30)
    assert challenge.status_code == 200 and challenge.json() == {"verification": "abc"}
    # with valid credentials each family answers (the 401s above are about the credential)
    with httpx.Client(base_url=served.server.url, timeout=30) as http:
        ok = {"Authorization": f"Bearer {served.scim_token}"}
        assert http.get("/scim/v2/inbox/Users", headers=ok).status_code == 200
        assert (
            http.get(
                f"{API_PREFIX}/profiles", headers={"Authorization": f"Bearer {served.api_token}"}
            ).status_code
            == 200
        )
        assert (
            http.post("/hooks/okta/okta", headers={"Authorization": HOOK_SECRET}, content=b"{}").status_code
            == 200
        )


def test_unknown_paths_under_a_guarded_prefix_need_credentials_first(served: Served) -> None:
    """A stranger learns nothing about which routes exist: unknown paths are 401, not 404."""
    for path in ("/scim/v2/inbox/Nothing", "/scim/v1/inbox/a/b/c", f"{API_PREFIX}/nothing", f"{API_PREFIX}/"):
        call = Call("scim" if path.startswith("/scim") else "api", "GET", path)
        _assert_401(call, _send(served, call, {}), "unknown path")
