"""The Bitbucket wire helpers without a server: one-line error descriptions and the licence-limit test."""

from __future__ import annotations

import httpx

from idsync.targets.bitbucket.client import describe_bitbucket, exception_names
from idsync.targets.bitbucket.quirks import is_licence_limit


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(
        status, json=body, request=httpx.Request("POST", "http://bb/rest/api/1.0/admin/users")
    )


def test_describe_joins_messages_with_their_field() -> None:
    response = _response(400, {"errors": [
        {"context": "emailAddress", "message": "Please enter a valid email address.", "exceptionName": None},
        {"context": None, "message": "Something else.", "exceptionName": "x.y.FooException"},
    ]})  # fmt: skip
    assert (
        describe_bitbucket(response) == "emailAddress: Please enter a valid email address.; Something else."
    )
    assert exception_names(response) == {"FooException"}


def test_describe_falls_back_for_container_bodies_and_empty_401s() -> None:
    container = _response(404, {"message": "HTTP 404 Not Found", "status-code": 404, "sub-code": -1})
    assert "HTTP 404 Not Found" in describe_bitbucket(container)
    empty = httpx.Response(401, request=httpx.Request("GET", "http://bb/"))
    assert describe_bitbucket(empty).startswith("authentication failed")


def test_licence_limit_is_recognised_only_on_its_403() -> None:
    text = "Adding the user to the default group would exceed the server's license limit."
    body = {"errors": [{"context": None, "message": text, "exceptionName": None}]}
    assert is_licence_limit(_response(403, body))
    assert not is_licence_limit(_response(400, body))
    assert not is_licence_limit(_response(403, {"errors": [{"message": "You may not", "context": None}]}))
