"""Fuzzing the SCIM inbox over real HTTP: hypothesis generates requests (tests/server/scim_fuzz.py) and
sends them to `idsync serve`'s app under uvicorn on a loopback port; every answer must be below 500,
JSON, and for an error the SCIM Error message with the scimType RFC 7644 §3.12 assigns. The suite runs
a share of 2,500 generated requests (bench/scim_fuzz.py runs the nightly size), then the framing cases
httpx cannot send, then one regression test per defect the fuzzing found, each with its exact request.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.vendor.pretty import pretty

from tests.server.inbox import RunningInbox, running_inbox
from tests.server.scim_fuzz import ERROR, GROUP, PATCH_OP, USER, Known, Probe, judge, seed, send
from tests.server.scim_fuzz_requests import probes

SUITE_EXAMPLES = 2500
"""The suite's share: 30-50 s on 2 cores (slower while other suites run); bench/scim_fuzz.py
sends 10,000 and more."""
MAX_BODY = 65_536
EXTENSION = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"


@dataclass
class Fuzzed:
    """The served inbox, what it was seeded with, and a pooled client on the server's root."""

    inbox: RunningInbox = field(repr=False)  # hypothesis prints the test's arguments: no tokens
    known: Known
    http: httpx.Client = field(repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis prints a failing example's dataclasses field by field, past repr=False: the
        # inbox's tokens were in a failure report. This makes it print the repr, which leaves them out.
        printer.text(repr(self))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    with running_inbox(tmp_path_factory.mktemp("fuzz"), max_body_bytes=MAX_BODY) as inbox:
        with inbox.client() as http:
            known = seed(http, inbox.tokens["inbox"], inbox.tokens["other"], MAX_BODY)
        with httpx.Client(base_url=inbox.url, timeout=60) as pooled:
            yield Fuzzed(inbox, known, pooled)


def _check(fuzzed: Fuzzed, probe: Probe) -> None:
    response = send(fuzzed.http, f"/scim/{probe.version}/inbox", probe)
    verdict = judge(probe, response.status_code, response.content)
    assert not verdict.problems, (
        f"{probe.describe()}\n→ {response.status_code} {response.text[:800]}\n{verdict.problems}"
    )


@settings(
    max_examples=SUITE_EXAMPLES,
    phases=[Phase.generate, Phase.shrink],
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_generated_requests_get_scim_answers(fuzzed: Fuzzed, data: st.DataObject) -> None:
    version = data.draw(st.sampled_from(["v2", "v2", "v2", "v1"]), label="mount")
    _check(fuzzed, data.draw(probes(fuzzed.known, version), label="probe"))


# --- framing httpx never sends: raw bytes on a socket ----------------------------------------------


def _answers(raw: bytes) -> list[tuple[int, bytes]]:
    """The HTTP answers in `raw`, in order, with their bodies de-chunked (the standard library's parser)."""
    stream = _Kept(raw)
    out = []
    while stream.tell() < len(raw):
        response = http.client.HTTPResponse(_Replay(stream))  # type: ignore[arg-type]
        response.begin()
        out.append((response.status, response.read()))
    return out


class _Kept(io.BytesIO):
    """Received bytes that stay open when an HTTPResponse is done with them (the next answer follows)."""

    def close(self) -> None:
        """Keep the buffer: several answers are read from it."""


class _Replay:
    """What http.client.HTTPResponse reads an answer from: received bytes, not a live socket."""

    def __init__(self, stream: io.BytesIO) -> None:
        self.stream = stream

    def makefile(self, mode: str) -> io.BytesIO:
        return self.stream


def _exchange(inbox: RunningInbox, *parts: bytes, half_close: bool = False) -> list[tuple[int, bytes]]:
    """Send each part and read what the server answers to it (until it goes quiet for 2 s or closes)."""
    received = b""
    with socket.create_connection(("127.0.0.1", inbox.server.port), timeout=2) as sock:
        for part in parts:
            sock.sendall(part)
            if half_close and part is parts[-1]:
                sock.shutdown(socket.SHUT_WR)
            try:
                while chunk := sock.recv(65_536):
                    received += chunk
                    if b"\r\n\r\n" in received and (
                        b"\r\n0\r\n\r\n" in received or b"content-length" in received
                    ):
                        break
            except TimeoutError:
                pass
    return _answers(received)


def _scim_error(answer: tuple[int, bytes], status: int, scim_type: str | None = None) -> None:
    assert answer[0] == status, answer
    body = json.loads(answer[1])
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body.get("scimType") == scim_type


def test_framing_that_httpx_never_sends(fuzzed: Fuzzed) -> None:
    token = fuzzed.known.token.encode()
    head = b"Host: fuzz\r\nAuthorization: Bearer " + token + b"\r\nContent-Type: application/scim+json\r\n"
    user = json.dumps({"schemas": [USER], "userName": "framing@example.test"}).encode()
    post = b"POST /scim/v2/inbox/Users HTTP/1.1\r\n" + head

    # a Content-Length shorter than the body: the request is its first 10 bytes (a SCIM 400); the rest
    # is not HTTP, which uvicorn's parser answers itself (plain text, before any application)
    first, rest = _exchange(fuzzed.inbox, post + b"Content-Length: 10\r\n\r\n" + user[:10], user[10:])
    _scim_error(first, 400, "invalidSyntax")
    assert rest[0] == 400

    # a chunked body over the connection's limit: 413
    big = json.dumps({"schemas": [USER], "userName": "x", "displayName": "y" * MAX_BODY}).encode()
    pieces = [big[i : i + 4096] for i in range(0, len(big), 4096)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    (answer,) = _exchange(fuzzed.inbox, post + b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    _scim_error(answer, 413)

    # a Content-Length longer than what comes before the client stops writing: no answer is owed,
    # and the server goes on serving
    assert _exchange(fuzzed.inbox, post + b"Content-Length: 5000\r\n\r\n{", half_close=True) == []
    with fuzzed.inbox.client() as client:
        assert client.get("/Users", params={"count": 1}).status_code == 200


# --- what the fuzzing found, each pinned with its request ---------------------------------------------


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[RunningInbox]:
    with running_inbox(tmp_path) as running:
        yield running


def _user(http: httpx.Client, name: str = "pinned@example.test") -> str:
    response = http.post("/Users", json={"schemas": [USER], "userName": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _error(response: httpx.Response, status: int, scim_type: str | None = None) -> dict[str, object]:
    body = response.json()
    assert response.status_code == status, response.text
    assert body["schemas"] == [ERROR] and body["status"] == str(status), body
    assert body.get("scimType") == scim_type, body
    return dict(body)


def test_header_bytes_that_are_not_utf8(inbox: RunningInbox) -> None:
    """Was a plain-text 500: scim2-server decoded header values as UTF-8 before any error handling."""
    with inbox.client() as http:
        assert http.get("/Users", headers={b"Accept-Charset": b"\xff"}).status_code == 200
        assert http.get("/Users", headers={b"Host": b"\xff\xfe"}).status_code == 200
        _error(http.get("/Users", headers={b"Authorization": b"Bearer \xff\xfe\xfd"}), 401)
        # bytes that are UTF-8 still read as UTF-8: the Host a resource's location is built from
        user = _user(http)
        located = http.get(f"/Users/{user}", headers={b"Host": "zoé.test".encode()})
        assert located.json()["meta"]["location"] == f"http://zoé.test/scim/v2/inbox/Users/{user}"
        assert located.headers["Content-Location"] == f"http://zo%C3%A9.test/scim/v2/inbox/Users/{user}"


def test_a_newline_in_the_path(inbox: RunningInbox) -> None:
    """Was Starlette's plain-text 404 (its Mount's `.*` stops at a newline), then, once the mount took
    it, a dropped connection: the decoded newline went into the Location header."""
    with inbox.client() as http:
        response = http.get("/Users/a%0Ab")
        _error(response, 404)
        assert response.headers["Location"].endswith("/scim/v2/inbox/Users/a%0Ab")
    with httpx.Client(base_url=inbox.url, headers={"Authorization": "Bearer x"}) as http:
        _error(http.get("/scim/v2/inbox/Groups/%0A%5D"), 401)


def test_a_cursor_parameter_is_ignored(inbox: RunningInbox) -> None:
    """Was 501 (an empty cursor) or 400 with scimType invalidCursor, which RFC 7644 does not define:
    the inbox pages by index only and ignores a parameter it does not support (RFC 7644 §3.4.2)."""
    with inbox.client() as http:
        _user(http)
        for cursor in ("", "²àQM¾U»E"):
            response = http.get("/Users", params={"cursor": cursor})
            assert response.status_code == 200, response.text
            assert response.json()["totalResults"] == 1 and response.json()["startIndex"] == 1
        search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "cursor": ""}
        assert http.post("/Users/.search", json=search).json()["totalResults"] == 1


def test_a_start_index_beyond_64_bits(inbox: RunningInbox) -> None:
    """Was a 500: the page's SQL OFFSET overflowed SQLite's integer."""
    with inbox.client() as http:
        _user(http)
        response = http.get("/Users", params={"startIndex": "99999999999999999999"})
        assert response.status_code == 200, response.text
        assert response.json()["totalResults"] == 1 and response.json().get("Resources", []) == []


def test_an_extension_value_nested_too_deep(inbox: RunningInbox) -> None:
    """Was a 500: orjson writes at most 255 levels, copy.deepcopy stops at the recursion limit."""
    deep: object = 1
    for _ in range(300):
        deep = [deep]
    with inbox.client() as http:
        body = {"schemas": [USER, EXTENSION], "userName": "deep@example.test", EXTENSION: {"n": deep}}
        detail = _error(http.post("/Users", json=body), 400, "invalidValue")["detail"]
        assert EXTENSION in str(detail) and "32" in str(detail)
        user = _user(http)
        patch = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": f"{EXTENSION}:n", "value": deep}],
        }
        _error(http.patch(f"/Users/{user}", json=patch), 400, "invalidValue")
        shallow = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": f"{EXTENSION}:n", "value": "x"}],
        }
        assert http.patch(f"/Users/{user}", json=shallow).json()[EXTENSION] == {"n": "x"}


def test_a_deep_body_a_client_pass_rewrote(inbox: RunningInbox) -> None:
    """Was a 500: Entra's pass lower-cased `Add`, and writing the rewritten body back failed on its
    nesting; the core refuses such a body anyway."""
    deep: object = 1
    for _ in range(300):
        deep = {"n": deep}
    with inbox.client() as http:
        group = http.post("/Groups", json={"schemas": [GROUP], "displayName": "deep"}).json()["id"]
        patch = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Add", "value": {"displayName": "x", "n": deep}}],
        }
        _error(http.patch(f"/Groups/{group}", json=patch), 400, "invalidSyntax")


def test_scim11_schemas_that_are_not_strings(inbox: RunningInbox) -> None:
    """Was a 500 on the 1.1 mount: the schema list was de-duplicated by hashing its entries."""
    with inbox.client(version="v1") as http:
        response = http.post("/Users", json={"schemas": [{}], "userName": "v1@example.test"})
        assert response.status_code == 400 and response.json()["Errors"][0]["code"] == 400


def test_a_failing_example_is_printed_without_the_tokens(fuzzed: Fuzzed) -> None:
    printed = pretty(fuzzed)
    # a bool, so that a failure does not print the tokens itself
    leaked = any(token in printed for token in (fuzzed.known.token, fuzzed.known.other_token))
    assert not leaked, "a token is in hypothesis's printout of the fuzz fixture"
    assert "Known(" in printed  # what the example aimed at is still shown
