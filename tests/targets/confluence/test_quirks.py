"""The pure pieces of the Confluence target: error descriptions, version parsing and the refusal
message, status words, long-task messages, creation rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from multidict import CIMultiDict

from idsync.domain.errors import ConnectorError
from idsync.http import Response
from idsync.targets.confluence import quirks
from idsync.targets.confluence.client import describe_confluence
from tests.fixtures.scripted import Answer, Handler, ScriptedServer


def _response(status: int, content: bytes, content_type: str = "application/json") -> Response:
    return Response(status, CIMultiDict({"content-type": content_type}), content, "GET",
                    "http://c.example.com/rest/api/user")  # fmt: skip


def test_describe_uses_the_message_or_says_what_failed() -> None:
    body = b'{"statusCode":404,"data":{"errors":[]},"message":"No user found","reason":"Not Found"}'
    assert describe_confluence(_response(404, body)) == "No user found"
    html = _response(401, b"<html>Unauthorized</html>", "text/html")
    assert "authentication failed" in describe_confluence(html)
    assert describe_confluence(_response(502, b"Bad gateway")) == "Bad gateway"


def test_versions_and_refusal() -> None:
    assert quirks.release_of("8.5.4") == (8, 5)
    assert quirks.release_of("10.0.1-m04") == (10, 0)
    with pytest.raises(ConnectorError):
        quirks.release_of("unknown")
    xml = "<manifest><typeId>confluence</typeId><version>9.2.1</version></manifest>"
    assert (quirks.xml_field(xml, "version"), quirks.xml_field(xml, "typeId")) == ("9.2.1", "confluence")
    lacking = quirks.missing((8, 2), quirks.ALL_ENDPOINTS)
    assert {e.call for e in lacking} == {"POST /rest/api/admin/user", "PUT /rest/api/admin/user/{username}",
                                         "GET /rest/api/user/list"}  # fmt: skip
    assert quirks.missing((9, 2), quirks.ALL_ENDPOINTS) == []
    message = quirks.refusal("8.2.3", "https://c.example.com", lacking)
    assert message.startswith(
        "Confluence 8.2.3 at https://c.example.com does not have POST /rest/api/admin/user"
    )
    assert message.endswith("idsync needs Confluence 8.4 or later for this")


def test_status_words() -> None:
    assert quirks.is_active("Active", "a") is True
    assert quirks.is_active("Deactivated", "a") is False
    with pytest.raises(ConnectorError, match="status None"):
        quirks.is_active(None, "a")
    with pytest.raises(ConnectorError, match="'Pending'"):
        quirks.is_active("Pending", "a")


def test_task_messages_and_creation_rules() -> None:
    assert (
        quirks.task_messages([{"translation": "nope", "args": []}, "also", {"key": "k"}]) == "nope; also; k"
    )
    assert quirks.task_messages([]) == "no message"
    assert quirks.create_username("John.Doe") == "john.doe"
    assert quirks.full_name(None, "jdoe") == "jdoe"
    assert quirks.full_name(" John ", "jdoe") == "John"
    first, second = quirks.initial_password(), quirks.initial_password()
    assert first != second and len(first) >= 32


async def test_an_xml_manifest_is_read_and_a_non_confluence_server_refused(
    scripted: Callable[[Handler], ScriptedServer],
) -> None:
    from idsync.config.connections import ConfluenceConnection
    from idsync.domain.errors import StopSyncError
    from idsync.targets.confluence import ConfluenceTarget

    def serve(type_id: str) -> ConfluenceConnection:
        xml = f"<manifest><typeId>{type_id}</typeId><version>9.2.1</version></manifest>"
        server = scripted(lambda _request: Answer.text(200, xml, "application/xml"))
        return ConfluenceConnection.model_validate({"type": "confluence", "url": server.url, "token": "t"})

    wiki = ConfluenceTarget("wiki", serve("confluence"))
    assert await wiki.version() == "9.2.1"
    jira = ConfluenceTarget("wiki", serve("jira"))
    with pytest.raises(StopSyncError, match="is not Confluence: its manifest says typeId 'jira'"):
        await jira.version()
    await wiki.aclose()
    await jira.aclose()
