"""Whole requests for the SCIM fuzzer: a path under the mount, a method that fits it mostly, query
parameters, credentials good and bad, headers and a body, and what the RFC makes certain about the
answer (tests/server/scim_fuzz.py judges it)."""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from tests.server.scim_fuzz import ENTERPRISE, PATCH_OP, USER, Known, Probe
from tests.server.scim_fuzz_payloads import (
    ATTRIBUTES,
    BROKEN_FILTERS,
    BROKEN_JSON,
    CONTENT_TYPES,
    FILTERS,
    JSON_VALUES,
    MALFORMED_PATHS,
    QUERY_TEXT,
    encode,
    group_body,
    mutated_filter,
    patch_body,
    search_body,
    user_body,
)


@st.composite
def credentials(draw: st.DrawFn, known: Known) -> tuple[bytes | None, bool]:
    """An Authorization header value (None: none sent) and whether it is the connection's token."""
    token = known.token
    good = [f"Bearer {token}".encode(), f"bearer {token}".encode(), f"Bearer   {token}".encode()]
    if draw(st.integers(0, 9)):
        return draw(st.sampled_from(good[:1] * 6 + good)), True
    bad = draw(
        st.sampled_from(
            [
                None,
                b"",
                b"Bearer",
                f"Bearer {known.other_token}".encode(),
                b"Bearer not-a-token",
                f"Basic {token}".encode(),
                f"Bearer {token}x".encode(),
                f"Bearer {token[:-1]}".encode(),
                token.encode(),
                b"Bearer \xff\xfe\xfd",
                b"Bearer \xc3\xa9t\xc3\xa9",
                f"Token {token}".encode(),
                b"Bearer " + b"A" * 8000,
            ]
        )
    )
    return bad, False


def _ids(known: Known, kind: str) -> st.SearchStrategy[str]:
    seeded = known.user_ids if kind == "Users" else known.group_ids
    return st.one_of(
        st.sampled_from(seeded),
        st.sampled_from(seeded),
        st.uuids().map(lambda u: u.hex),
        st.text(string.printable, min_size=1, max_size=20).map(lambda s: quote(s, safe="")),
        st.sampled_from(
            [
                "..",
                "%2e%2e",
                "..%2f..%2fapi%2fv1%2fprofiles",
                "%00",
                "%ff%fe",
                "%C3%A9",
                "x" * 3000,
                ".search",
                "bulkId",
                "%2F",
                "a%20b",
                "Me",
                "%u0041",
                ";x=1",
                ".scim",
            ]
        ),
    )


@st.composite
def paths(draw: st.DrawFn, known: Known) -> tuple[str, str | None, str | None]:
    """(raw path under the mount, resource kind or None, resource id or None)."""
    kind = draw(st.sampled_from(["Users", "Groups"]))
    shape = draw(st.integers(0, 19))
    if shape < 6:
        return f"/{kind}", kind, None
    if shape < 13:
        rid = draw(_ids(known, kind))
        return f"/{kind}/{rid}", kind, rid
    odd = draw(
        st.sampled_from(
            [
                "/",
                "",
                "/.search",
                f"/{kind}/.search",
                "/ServiceProviderConfig",
                "/ServiceProviderConfigs",
                "/ResourceTypes",
                "/ResourceTypes/User",
                "/ResourceTypes/x",
                "/Schemas",
                f"/Schemas/{USER}",
                f"/Schemas/{ENTERPRISE.upper()}",
                "/Schemas/urn:x",
                "/Bulk",
                "/Me",
                f"/{kind.lower()}",
                f"/{kind}.scim",
                f"/v2/{kind}",
                f"/{kind}/a/b",
                f"/{kind}//",
                "//",
                "/../../api/v1/profiles",
                "/%2e%2e/%2e%2e/healthz",
                f"/{kind}/%2e%2e",
                "/Unknown",
                "/Users%2F" + "x",
                "/" + "a/" * 200,
                f"/{kind}/" + "%41" * 500,
                f"/{kind}?",
                f"/{kind}#frag",
                f"/{kind}/x/..",
                "/ServiceProviderConfig/x",
            ]
        )
    )
    return odd, None, None


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str | None]:
    """Query parameters, and the scimType they must fail with when that is certain."""
    pairs: list[tuple[str, str]] = []
    expect: str | None = None
    number = st.one_of(
        st.integers(-5, 5).map(str),
        st.sampled_from(
            [
                "0",
                "-1",
                "99999999999999999999",
                "1e3",
                "abc",
                "",
                "1.5",
                " 1",
                "0x10",
                "٣",
                "+1",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775809",
                "1" + "0" * 400,
            ]
        ),
        st.integers(-(2**70), 2**70).map(str),
    )
    choice = draw(st.integers(0, 9))
    if choice in (0, 1, 2):
        pairs.append(("filter", draw(FILTERS)))
    elif choice == 3:
        pairs.append(("filter", draw(mutated_filter())))
    elif choice == 4:
        pairs.append(("filter", draw(BROKEN_FILTERS)))
        expect = "invalidFilter"
    for key, strategy in {
        "startIndex": number,
        "count": number,
        "attributes": st.lists(st.sampled_from(ATTRIBUTES), max_size=3).map(",".join) | QUERY_TEXT,
        "excludedAttributes": st.lists(st.sampled_from(ATTRIBUTES), max_size=3).map(",".join) | QUERY_TEXT,
        "sortBy": st.sampled_from(ATTRIBUTES) | QUERY_TEXT,
        "sortOrder": st.sampled_from(["ascending", "descending", "DESCENDING", "x", ""]),
        "cursor": QUERY_TEXT,
        "filter": FILTERS,
        "x": QUERY_TEXT,
    }.items():
        if draw(st.integers(0, 5)) == 0 and not (key == "filter" and pairs):
            pairs.append((key, draw(strategy)))
    if len(pairs) > 1 and expect:
        expect = None  # another parameter may fail first
    return pairs, expect


def _query_string(draw: st.DrawFn, pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    # lone surrogates (scim_fuzz_payloads._UNICODE) go out as their invalid UTF-8 bytes, as a broken
    # client would send them; plain quote() refuses to encode them
    encoded = urlencode(
        list(pairs), quote_via=lambda text, safe, *_: quote(text, safe, "utf-8", "surrogatepass")
    )
    if draw(st.integers(0, 9)) == 0:
        encoded = draw(
            st.sampled_from(
                [
                    encoded + "&&",
                    encoded + "&filter",
                    encoded.replace("%", "%%"),
                    encoded + "&%ff=%fe",
                    encoded + "&a=%",
                ]
            )
        )
    return "?" + encoded


@st.composite
def probes(draw: st.DrawFn, known: Known, version: str = "v2") -> Probe:
    """One generated request on a mount (see the module docstring)."""
    path, kind, rid = draw(paths(known))
    seeded = rid is not None and rid in (known.user_ids + known.group_ids)
    if draw(st.integers(0, 9)) == 0:
        method = draw(
            st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "patch"])
        )
    elif rid is not None:
        method = draw(st.sampled_from(["GET", "GET", "PUT", "PATCH", "PATCH", "PATCH", "DELETE"]))
    else:
        method = draw(st.sampled_from(["GET", "GET", "POST"]))
    authorization, authorized = draw(credentials(known))
    content_type = draw(CONTENT_TYPES)
    expect_status: tuple[int, ...] = ()
    expect_type: str | None = None
    notes: list[str] = []
    query = ""
    body = b""
    json_type = content_type is not None and content_type.split(b";")[0].strip().lower() in (
        b"application/scim+json",
        b"application/json",
        b"text/json",
    )
    if method == "GET" and kind is not None and rid is None:
        pairs, expect = draw(queries())
        query = _query_string(draw, pairs)
        if expect and authorized and "&&" not in query and "%%" not in query and query.count("=") == 1:
            expect_status, expect_type = (400,), expect
    elif method == "GET" and draw(st.integers(0, 3)) == 0:
        pairs, _ = draw(queries())
        query = _query_string(draw, pairs)
    elif method in ("POST", "PUT", "PATCH"):
        shape = draw(st.integers(0, 9))
        if method == "PATCH":
            value: Any = patch_body(draw)
        elif path.endswith(".search"):
            value = search_body(draw)
        elif kind == "Groups":
            value = group_body(draw, known)
        else:
            value = user_body(draw, known)
        if shape == 0:
            body = draw(BROKEN_JSON)
            fits = kind is not None and (method == "POST") == (rid is None) and (method == "POST" or seeded)
            if authorized and json_type and fits:  # a seeded resource may have been deleted meanwhile
                expect_status, expect_type = (400,) if method == "POST" else (400, 404), "invalidSyntax"
        elif shape == 1:
            body = encode(draw(JSON_VALUES), draw)
        elif shape == 2:
            body = b""
        else:
            body = encode(value, draw)
        if shape == 3 and method == "PATCH" and seeded and authorized and json_type:
            body = json.dumps({"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]}).encode()
            expect_status, expect_type = (400, 404), "noTarget"
        if shape == 4 and method == "POST" and kind == "Users" and rid is None and authorized and json_type:
            taken = draw(st.sampled_from(known.taken_names))
            body = json.dumps(
                {"schemas": [USER], "userName": taken.upper() if draw(st.booleans()) else taken}
            ).encode()
            expect_status, expect_type = (409,), "uniqueness"
        if method == "PATCH" and draw(st.integers(0, 3)) == 0:
            attribute = draw(st.sampled_from(ATTRIBUTES))
            query = _query_string(draw, [("attributes", attribute)])
            if attribute in MALFORMED_PATHS and expect_status:
                # two faults in one request: the server may name either, as a 400 invalidPath or as the
                # body's error (the judge still checks that the 400 carries an RFC 7644 scimType)
                expect_status, expect_type = tuple(sorted({*expect_status, 400})), None
    elif draw(st.integers(0, 5)) == 0:
        body = draw(st.binary(max_size=64))
    if len(body) > known.max_body_bytes:
        expect_status, expect_type = (413,), None
        notes.append("over the body limit")
    elif not authorized:
        expect_status, expect_type = (401,), None
    if not path:  # the bare mount path is redirected to its "/" form before the mount sees it
        expect_status, expect_type = (), None
    headers: list[tuple[str, bytes]] = []
    if authorization is not None:
        headers.append(("Authorization", authorization))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if draw(st.integers(0, 4)) == 0:
        headers.append(
            draw(
                st.sampled_from(
                    [
                        ("If-Match", b'W/"1"'),
                        ("If-Match", b"*"),
                        ("If-Match", b"garbage"),
                        ("If-None-Match", b'W/"1"'),
                        ("If-None-Match", b"*"),
                        ("Accept", b"text/html"),
                        ("Accept", b"application/scim+json"),
                        ("X-Forwarded-Host", b"evil.example"),
                        ("Host", b""),
                        ("Host", b"\xff\xfe"),
                        ("Host", b"a b"),
                        ("Host", b"ex.test:99999"),
                        ("Host", b"[::1"),
                        ("Accept-Charset", b"\xff"),
                        ("User-Agent", b"Okta SCIM Client 1.0.0"),
                        ("Content-Encoding", b"gzip"),
                        ("Transfer-Encoding", b"chunked"),
                    ]
                )
            )
        )
    if any(name == "Transfer-Encoding" for name, _ in headers):
        headers = [h for h in headers if h[0] != "Transfer-Encoding"]  # httpx frames the body itself
    return Probe(
        method, path + query, tuple(headers), body, version, expect_status, expect_type, tuple(notes)
    )
