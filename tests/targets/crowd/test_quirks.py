"""Pure helpers of the Crowd target: error descriptions and refinement by `reason`, CQL quoting,
name splitting, attribute values, generated passwords."""

from __future__ import annotations

import httpx

from idsync.domain.errors import BadRequestError, ConflictError, NotFoundError, StopSyncError
from idsync.targets.crowd.client import describe_crowd
from idsync.targets.crowd.quirks import (
    already_exists,
    attribute_value,
    cql_any,
    cql_quote,
    refine,
    split_display_name,
    strong_password,
)


def _response(status: int, body: bytes, content_type: str = "application/json") -> httpx.Response:
    request = httpx.Request("POST", "https://crowd.example.com/crowd/rest/usermanagement/1/group/user/direct")
    return httpx.Response(status, content=body, headers={"content-type": content_type}, request=request)


def test_describe_joins_reason_and_message_in_json_and_xml() -> None:
    json_body = _response(404, b'{"reason":"USER_NOT_FOUND","message":"User <jdoe> does not exist"}')
    xml = b"<error><reason>GROUP_NOT_FOUND</reason><message>Group &lt;g&gt;</message></error>"
    xml_body = _response(404, xml, "application/xml")
    assert describe_crowd(json_body) == "USER_NOT_FOUND: User <jdoe> does not exist"
    assert describe_crowd(xml_body).startswith("GROUP_NOT_FOUND")
    assert "application authentication failed" in describe_crowd(_response(401, b""))
    assert "context path" in describe_crowd(_response(404, b""))


def test_refine_uses_the_reason_where_the_status_is_ambiguous() -> None:
    missing_user = refine(_response(400, b'{"reason":"USER_NOT_FOUND","message":"User <x> does not exist"}'))
    exists = _response(400, b'{"reason":"INVALID_USER","message":"User <x> already exists"}')
    invalid = refine(_response(400, b'{"reason":"INVALID_EMAIL","message":"Invalid email"}'))
    denied = refine(_response(403, b'{"reason":"APPLICATION_PERMISSION_DENIED","message":"no"}'))
    assert isinstance(missing_user, NotFoundError) and missing_user.status == 400
    assert isinstance(refine(exists), ConflictError) and already_exists(exists)
    assert isinstance(invalid, BadRequestError) and not isinstance(invalid, ConflictError)
    assert isinstance(denied, StopSyncError)
    assert "APPLICATION_PERMISSION_DENIED" in str(denied)


def test_cql_values_are_quoted() -> None:
    assert cql_quote('o"brien\\x') == '"o\\"brien\\\\x"'
    assert cql_any("email", ["a@x", "b@x"]) == 'email="a@x" or email="b@x"'


def test_display_names_split_at_the_last_word() -> None:
    assert split_display_name("Anna Maria Smith") == ("Anna Maria", "Smith")
    assert split_display_name("Cher") == ("Cher", "")
    assert split_display_name("") == ("", "")


def test_attribute_values() -> None:
    assert attribute_value(None) is None
    assert attribute_value([]) is None
    assert attribute_value(["R&D"]) == "R&D"
    assert attribute_value(["a", "b"]) == '["a", "b"]'


def test_passwords_are_long_mixed_and_different() -> None:
    passwords = {strong_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert len(password) == 32
        assert any(c.isupper() for c in password) and any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)
