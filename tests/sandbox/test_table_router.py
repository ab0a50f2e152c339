"""TableRouter (sandbox/atlassian/common/routing.py) must route exactly as Starlette's Router: the same
route for every path and method, the same 404, 405 and slash redirects, over the Jira emulator's real
route list and over a made-up one where literal, templated and mounted routes overlap."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from idsync.sandbox.atlassian.common.routing import TableRouter
from idsync.sandbox.atlassian.jira.app import create_app
from idsync.sandbox.atlassian.jira.options import JiraOptions

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
Answer = tuple[int, str | None, bytes]


def _tagged(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """The same paths and methods in the same order, each endpoint answering which route it is and
    the path parameters it got (no emulator state is touched)."""

    def endpoint(index: int) -> object:
        async def answer(request: Request) -> Response:
            return PlainTextResponse(f"route {index} {sorted(request.path_params.items())}")

        return answer

    copies: list[BaseRoute] = []
    for index, route in enumerate(routes):
        if isinstance(route, Route):
            methods = sorted(route.methods) if route.methods is not None else None
            copies.append(Route(route.path, endpoint(index), methods=methods))  # type: ignore[arg-type]
        else:
            copies.append(route)
    return copies


def _apps(routes: Sequence[BaseRoute]) -> tuple[Starlette, Starlette]:
    plain = Starlette(routes=list(routes))
    table = Starlette()
    table.router = TableRouter(routes)
    return plain, table


def _answers(app: Starlette, probes: Sequence[tuple[str, str]]) -> list[Answer]:
    async def run() -> list[Answer]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://jira.test") as client:
            answers = []
            for method, path in probes:
                response = await client.request(method, path)
                answers.append((response.status_code, response.headers.get("location"), response.content))
            return answers

    return asyncio.run(run())


def _probes(paths: Sequence[str]) -> list[tuple[str, str]]:
    return [(method, path) for path in paths for method in METHODS]


def test_every_jira_path_and_method_reaches_the_route_starlette_picks():
    router = create_app(JiraOptions(users=0, projects=0)).auth.app
    routes = _tagged(router.routes)
    paths = {
        route.path.replace("{key:path}", "a/b").replace("{", "").replace("}", "").replace(":int", "")
        for route in routes
        if isinstance(route, Route)
    }
    paths |= {path + "/" for path in list(paths)} | {"/rest/api/2/nothing", "/", "/rest/api/2/user//"}
    probes = _probes(sorted(paths))
    plain, table = _apps(routes)
    expected = _answers(plain, probes)
    assert _answers(table, probes) == expected
    assert sum(status == 200 for status, _, _ in expected) > len(routes)  # the probes did reach routes
    assert {status for status, _, _ in expected} >= {200, 404, 405, 307}


def test_overlapping_literal_templated_and_mounted_routes_route_as_starlette_does():
    async def mounted(request: Request) -> Response:
        return PlainTextResponse(f"mounted {request.url.path}")

    routes = _tagged(
        [
            Route("/a/{x}", PlainTextResponse, methods=["POST"]),
            Route("/a/b", PlainTextResponse, methods=["GET"]),
            Route("/a/{rest:path}", PlainTextResponse, methods=["PUT", "GET"]),
            Mount("/m", routes=[Route("/inner", mounted)]),
            Route("/m/inner", PlainTextResponse),
            Route("/b/", PlainTextResponse),
            Route("/c", PlainTextResponse, methods=["DELETE"]),
        ]
    )
    paths = ["/a/b", "/a/c", "/a/b/c", "/a/b/", "/m/inner", "/m/other", "/b", "/b/", "/c", "/c/", "/x"]
    probes = _probes(paths)
    plain, table = _apps(routes)
    assert _answers(table, probes) == _answers(plain, probes)


def test_a_route_added_after_the_table_was_built_is_found():
    table_router = TableRouter(_tagged([Route("/a/{x}", PlainTextResponse, methods=["GET"])]))
    async def added(request: Request) -> Response:
        return PlainTextResponse("added")

    table_router.add_route("/a/b", added, methods=["POST"])
    app = Starlette()
    app.router = table_router
    plain = Starlette(routes=list(table_router.routes))
    probes = _probes(["/a/b", "/a/c"])
    assert _answers(app, probes) == _answers(plain, probes)


def test_the_emulator_answers_unknown_paths_and_methods_as_jira_and_counts_them(jira_sandbox):
    jira = jira_sandbox()
    with jira.client() as client:
        missing = client.get("/rest/api/2/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["errorMessages"] == [f"null for uri: {jira.url}/rest/api/2/nothing-here"]
        wrong_method = client.patch("/rest/api/2/group/user")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["errorMessages"] == [
            "Method PATCH is not allowed for /rest/api/2/group/user"
        ]
        assert client.get("/rest/api/2/group/member", params={"groupname": "jira-administrators"}).is_success
        assert client.get("/_sandbox/stats").json() == {
            "GET /rest/api/2/nothing-here": 1,
            "PATCH /rest/api/2/group/user": 1,
            "GET /rest/api/2/group/member": 1,
        }
