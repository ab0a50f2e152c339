"""HttpClient's connection use against a real server on loopback: connections are kept alive and
reused, and no more of them are open at once than the connection's concurrency allows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from idsync.http import HttpClient
from idsync.sandbox.common.server import RunningServer, serve_in_thread


class _Recorder:
    """Which client sockets the server saw, and the most requests it had in flight at once."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def endpoint(self, request: Request) -> JSONResponse:
        assert request.client is not None
        self.peers.append((request.client.host, request.client.port))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.02)  # long enough for the client's other requests to pile up
        self.in_flight -= 1
        return JSONResponse({"ok": True})


@pytest.fixture
def served() -> Iterator[tuple[_Recorder, RunningServer]]:
    recorder = _Recorder()
    server = serve_in_thread(Starlette(routes=[Route("/thing", recorder.endpoint)]))
    try:
        yield recorder, server
    finally:
        server.stop()


def test_sequential_requests_reuse_one_kept_alive_connection(served: tuple[_Recorder, RunningServer]) -> None:
    recorder, server = served

    async def run() -> None:
        http = HttpClient(server.url, headers={}, max_concurrency=8)
        try:
            for _ in range(10):
                await http.request("GET", "/thing")
        finally:
            await http.aclose()

    asyncio.run(run())
    assert len(recorder.peers) == 10
    assert len(set(recorder.peers)) == 1


def test_concurrent_requests_open_at_most_max_concurrency_connections(
    served: tuple[_Recorder, RunningServer],
) -> None:
    recorder, server = served

    async def run() -> None:
        http = HttpClient(server.url, headers={}, max_concurrency=4)
        try:
            await asyncio.gather(*(http.request("GET", "/thing") for _ in range(40)))
            assert http.requests["GET /thing"] == 40
        finally:
            await http.aclose()

    asyncio.run(run())
    assert len(recorder.peers) == 40
    assert recorder.most_in_flight <= 4
    assert 1 <= len(set(recorder.peers)) <= 4
