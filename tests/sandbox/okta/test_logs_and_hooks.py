"""System Log queries and polling, and event hooks: verification and batched delivery to a real
receiver (a Starlette app served on loopback)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idsync.sandbox.common.server import serve_in_thread
from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import assert_error, create_user

Start = Callable[..., RunningOkta]


def test_log_polling_always_has_next_and_picks_up_new_events(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        create_user(client, "Log", "One")
        first = client.get("/api/v1/logs", params={"filter": 'eventType sw "user.lifecycle."'})
        assert [e["eventType"] for e in first.json()] == ["user.lifecycle.create", "user.lifecycle.activate"]
        event = first.json()[0]
        assert event["target"][0]["type"] == "User"
        assert event["actor"]["type"] == "User"
        following = client.get(first.links["next"]["url"])
        assert following.json() == []
        assert "next" in following.links
        create_user(client, "Log", "Two")
        newer = client.get(following.links["next"]["url"]).json()
        assert [e["eventType"] for e in newer] == ["user.lifecycle.create", "user.lifecycle.activate"]
        assert newer[0]["target"][0]["alternateId"] == "log.two@example.com"


def test_log_bounded_query_ends_and_filters(okta_sandbox: Start) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        user = create_user(client, "Bound", "Ed")
        group = client.post("/api/v1/groups", json={"profile": {"name": "Logged"}}).json()
        client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}")
        now = okta.sandbox.control.clock.now()
        params = {"since": "2020-01-01T00:00:00.000Z", "until": now.isoformat()}
        assert_error(client.get("/api/v1/logs", params=params), 400, "E0000053")
        bounded = client.get(
            "/api/v1/logs",
            params={
                "since": user["created"],
                "until": now.isoformat(),
                "filter": f'target.id eq "{group["id"]}"',
            },
        )
        assert [e["eventType"] for e in bounded.json()] == [
            "group.lifecycle.create",
            "group.user_membership.add",
        ]
        assert "next" not in bounded.links
        membership = bounded.json()[1]
        assert {t["type"] for t in membership["target"]} == {"User", "UserGroup"}
        assert_error(client.get("/api/v1/logs", params={"filter": 'published gt "x"'}), 400, "E0000053")
        assert_error(client.get("/api/v1/logs", params={"q": "x" * 41}), 400, "E0000001")
        assert len(client.get("/api/v1/logs", params={"q": "bound.ed@example.com"}).json()) == 3


@dataclass
class Receiver:
    """A hook endpoint: answers the verification challenge, records every delivery."""

    url: str
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    echo: bool = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    async def hook(request: Request) -> Response:
        me = holder[0]
        if request.method == "GET":
            challenge = request.headers.get("x-okta-verification-challenge", "")
            return JSONResponse({"verification": challenge if me.echo else "wrong"})
        me.deliveries.append(await request.json())
        me.headers.append(dict(request.headers))
        me.arrived.set()
        return Response(status_code=200)

    server = serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["GET", "POST"])]))
    holder.append(Receiver(f"{server.url}/hook"))
    yield holder[0]
    server.stop()


def _hook_body(uri: str, items: list[str]) -> dict[str, Any]:
    return {
        "name": "test hook",
        "events": {"type": "EVENT_TYPE", "items": items, "filter": None},
        "channel": {
            "type": "HTTP",
            "version": "1.0.0",
            "config": {
                "uri": uri,
                "headers": [{"key": "X-Other", "value": "v"}],
                "authScheme": {"type": "HEADER", "key": "Authorization", "value": "s3cret-hook"},
            },
        },
    }


def test_event_hook_verification_and_batched_delivery(okta_sandbox: Start, receiver: Receiver) -> None:
    okta = okta_sandbox()
    with okta.client() as client:
        created = client.post(
            "/api/v1/eventHooks",
            json=_hook_body(receiver.url, ["user.lifecycle.create", "group.user_membership.add"]),
        )
        assert created.status_code == 200, created.text
        hook = created.json()
        assert (hook["status"], hook["verificationStatus"]) == ("ACTIVE", "UNVERIFIED")
        assert hook["channel"]["config"]["method"] == "POST"
        assert "value" not in hook["channel"]["config"]["authScheme"]
        assert "s3cret-hook" not in created.text
        create_user(client, "Before", "Verify")  # unverified hooks receive nothing
        verified = client.post(f"/api/v1/eventHooks/{hook['id']}/lifecycle/verify")
        assert verified.json()["verificationStatus"] == "VERIFIED"
        user = create_user(client, "Hook", "Ed")
        group = client.post("/api/v1/groups", json={"profile": {"name": "Hooked"}}).json()
        client.put(f"/api/v1/groups/{group['id']}/users/{user['id']}")
        assert receiver.arrived.wait(10)
        while sum(len(d["data"]["events"]) for d in receiver.deliveries) < 2:
            receiver.arrived.clear()
            assert receiver.arrived.wait(10)
    envelope = receiver.deliveries[0]
    assert envelope["eventType"] == "com.okta.event_hook"
    assert envelope["cloudEventsVersion"] == "0.1"
    assert envelope["source"].endswith(f"/api/v1/eventHooks/{hook['id']}")
    events = [e for d in receiver.deliveries for e in d["data"]["events"]]
    assert [e["eventType"] for e in events] == ["user.lifecycle.create", "group.user_membership.add"]
    assert events[0]["target"][0]["id"] == user["id"]
    assert receiver.headers[0]["authorization"] == "s3cret-hook"
    assert receiver.headers[0]["x-other"] == "v"


def test_verification_failure_and_https_rule(okta_sandbox: Start, receiver: Receiver) -> None:
    okta = okta_sandbox()
    receiver.echo = False
    with okta.client() as client:
        hook = client.post(
            "/api/v1/eventHooks", json=_hook_body(receiver.url, ["user.lifecycle.create"])
        ).json()
        assert_error(client.post(f"/api/v1/eventHooks/{hook['id']}/lifecycle/verify"), 400, "E0000001")
        assert client.get(f"/api/v1/eventHooks/{hook['id']}").json()["verificationStatus"] == "UNVERIFIED"
        plain = _hook_body("http://hooks.example.com/x", ["user.lifecycle.create"])
        body = assert_error(client.post("/api/v1/eventHooks", json=plain), 400, "E0000001")
        assert "https" in body["errorCauses"][0]["errorSummary"]
        deactivated = client.post(f"/api/v1/eventHooks/{hook['id']}/lifecycle/deactivate").json()
        assert deactivated["status"] == "INACTIVE"
        assert client.delete(f"/api/v1/eventHooks/{hook['id']}").status_code == 204
        assert_error(client.get(f"/api/v1/eventHooks/{hook['id']}"), 404, "E0000007")
