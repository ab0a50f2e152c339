"""What the SCIM fuzzer puts in requests: text, JSON values, filters from the RFC 7644 grammar and
their mutations, PATCH paths, resource and PatchOp bodies built from valid ones and then broken, bytes
that are not JSON, content types (tests/server/scim_fuzz.py says what each answer must be)."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from tests.server.scim_fuzz import ENTERPRISE, GROUP, PATCH_OP, SEARCH, USER, Known

_UNICODE = st.text(st.characters(), max_size=40)
"""Any code point, lone surrogates included: the ASCII encoding escapes them, the UTF-8 one sends
their invalid bytes."""
EXTREME_INTS = st.sampled_from(
    [2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**20, -(10**20), 10**400]
)
ANY_TEXT = st.one_of(
    st.text(string.ascii_letters + string.digits + "._-@", min_size=1, max_size=30),
    _UNICODE,
    st.sampled_from(["", " ", "\x00", "null", "🦄" * 10, "a" * 300, "\u202e\u0301", "'", '"', "\\"]),
    st.integers(1_000, 70_000).map(lambda n: "x" * n),  # huge: some over the body limit
)
QUERY_TEXT = ANY_TEXT.map(lambda text: text[:6000])
"""Query values stay well under the 64 KiB request line the HTTP parser takes (beyond it uvicorn
answers a plain 400 before any application sees the request, as any front proxy would)."""
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    EXTREME_INTS,
    st.floats(allow_nan=False, allow_infinity=False),
    ANY_TEXT,
)
NAMES = st.one_of(
    st.sampled_from(
        [
            "a-b",
            "x_y",
            "Ab9",
            "schemas",
            "meta",
            "id",
            "ID",
            "value",
            "$ref",
            "1x",
            "é",
            "",
            "a.b",
            "a:b",
            "urn:x:y",
            "Members",
            "userName",
            "USERNAME",
        ]
    ),
    st.text(string.ascii_letters, min_size=1, max_size=8),
)
"""Attribute names, valid for RFC 7643 §2.1 or not, clashing with core names or not."""


def _nested(depth: int, leaf: Any, as_list: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"n": value}
    return value


_DEEP = st.builds(_nested, st.sampled_from([20, 33, 100, 254, 256, 400, 900]), st.just(1), st.booleans())
"""Nesting around the limits of the JSON libraries (orjson reads 1024 levels, writes 255)."""
JSON_VALUES = (
    st.recursive(
        JSON_LEAF,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT | NAMES, inner, max_size=4),
        max_leaves=12,
    )
    | _DEEP
)
BLOCK = st.dictionaries(NAMES, JSON_VALUES, max_size=5)
"""An extension block: attributes of an extension schema the inbox does not define."""

ATTRIBUTES = (
    "userName",
    "name.familyName",
    "name.givenName",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "active",
    "title",
    "displayName",
    "externalId",
    "id",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
    "members",
    "members.value",
    "members.display",
    "groups",
    "groups.value",
    "phoneNumbers.value",
    "addresses.locality",
    "x509Certificates.value",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:manager.value",
    f"{ENTERPRISE}:manager",
    f"{USER}:userName",
    f"{USER}:name.givenName",
    "shoeSize",
    "name.nickName.deep",
    "urn:unknown:attr",
    "urn:ietf:params:scim:schemas:extension:acme:2.0:User:x",
    "",
    "1abc",
    "emails.",
    ".value",
    "a b",
)
MALFORMED_PATHS = frozenset({"", "1abc", "emails.", ".value", "a b", "name.nickName.deep"})
"""The members of ATTRIBUTES that are no attribute path at all (RFC 7644 §3.10): a 400 invalidPath.
`name.nickName.deep` is one of them: the ABNF's attrPath takes at most one sub-attribute."""
COMPARE = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Eq")
_FILTER_VALUE = st.one_of(
    ANY_TEXT.map(lambda s: json.dumps(s[:200])),
    st.sampled_from(["true", "false", "null", "0", "-1", "1.5", "1e400", '"2024-01-01T00:00:00Z"']),
    st.integers(-(2**70), 2**70).map(str),
)


def _comparison() -> st.SearchStrategy[str]:
    attr = st.sampled_from(ATTRIBUTES)
    present = attr.map(lambda a: f"{a} pr")
    compared = st.tuples(attr, st.sampled_from(COMPARE), _FILTER_VALUE).map(" ".join)
    return st.one_of(compared, compared, present)


FILTERS: st.SearchStrategy[str] = st.recursive(
    _comparison(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" and ", " or ", " AND ", " Or "]), inner).map("".join),
        inner.map(lambda f: f"not ({f})"),
        inner.map(lambda f: f"({f})"),
        st.tuples(st.sampled_from(["emails", "members", "groups", "addresses", "userName"]), inner).map(
            lambda p: f"{p[0]}[{p[1]}]"
        ),
    ),
    max_leaves=6,
)
"""Filters from the RFC 7644 §3.4.2.2 grammar (valid syntax; attributes may be unknown)."""

BROKEN_FILTERS = st.one_of(
    FILTERS.map(lambda f: f + ' "'),
    FILTERS.map(lambda f: "(" + f),
    FILTERS.map(lambda f: f + ")"),
    FILTERS.map(lambda f: f"emails[{f}"),
    FILTERS.map(lambda f: f + " and"),
    st.sampled_from(ATTRIBUTES[:12]).map(lambda a: f'{a} xx "v"'),
    st.sampled_from(ATTRIBUTES[:12]).map(lambda a: f"{a} eq"),
    st.sampled_from(ATTRIBUTES[:12]).map(lambda a: f'{a} eq "unterminated'),
    st.just('userName eq "a" and or userName eq "b"'),
)
"""Filters that cannot parse, whatever the server supports: 400 invalidFilter (RFC 7644 §3.4.2.2)."""


@st.composite
def mutated_filter(draw: st.DrawFn) -> str:
    """A grammar filter with characters inserted, dropped or repeated: may or may not still parse."""
    text = draw(FILTERS)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "drop", "repeat", "deep", "long"]))
        if kind == "insert":
            text = text[:i] + draw(st.sampled_from([*'"()[] \\.:', "\x00", "é", "🦄"])) + text[i:]
        elif kind == "drop" and text:
            text = text[: max(i - 1, 0)] + text[i:]
        elif kind == "repeat":
            text = (text[:i] * draw(st.integers(2, 50)))[:4000]
        elif kind == "deep":
            depth = draw(st.sampled_from([50, 500, 3000]))
            text = (
                "(" * depth + text + ")" * depth
                if draw(st.booleans())
                else "not (" * depth + text + ")" * depth
            )
        else:
            text = text + ' or userName eq "' + "z" * draw(st.sampled_from([1000, 20000])) + '"'
    return text[:20_000]  # the request line stays under the HTTP parser's 64 KiB once percent-encoded


PATCH_PATHS = st.one_of(
    st.sampled_from(ATTRIBUTES),
    st.tuples(st.sampled_from(["emails", "members", "addresses", "phoneNumbers"]), FILTERS).map(
        lambda p: f"{p[0]}[{p[1]}]"
    ),
    st.tuples(st.sampled_from(["emails", "members"]), FILTERS, st.sampled_from(["value", "type", "x"])).map(
        lambda p: f"{p[0]}[{p[1]}].{p[2]}"
    ),
    st.sampled_from(
        [
            'emails[type eq "work"',
            "emails]",
            "members[value eq]",
            "[",
            "]",
            "..",
            "name..givenName",
            'emails[type eq "work"].value.extra',
            "urn:",
            f"{ENTERPRISE}:",
            f'{ENTERPRISE}:manager[value eq "x"]',
            "urn:okta:acme:1.0:user:custom:a.b.c",
            "meta.version",
            "schemas",
            "id",
            "groups",
            "urn:ietf:params:scim:schemas:extension:fuzz:2.0:User",
        ]
    ),
    st.tuples(
        st.sampled_from(
            [
                "urn:ietf:params:scim:schemas:extension:fuzz:2.0:User:",
                "urn:okta:acme_1:1.0:user:custom:",
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:FUZZ:2.0:USER:",
            ]
        ),
        NAMES,
        st.sampled_from(["", ".sub", ".a.b", "[x eq 1]"]),
    ).map("".join),
    ANY_TEXT,
)


def user_body(draw: st.DrawFn, known: Known) -> dict[str, Any]:
    user: dict[str, Any] = {
        "schemas": draw(
            st.sampled_from(
                [
                    [USER],
                    [USER, ENTERPRISE],
                    [USER, "urn:ietf:params:scim:schemas:extension:acme:2.0:User"],
                    ["urn:unknown"],
                    [],
                    "not-a-list",
                    [USER, 3],
                    None,
                    [GROUP],
                ]
            )
        ),
        "userName": draw(
            st.one_of(
                st.uuids().map(lambda u: f"fuzz-{u.hex[:12]}@example.test"),
                st.sampled_from(known.user_names),
                JSON_VALUES,
            )
        ),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "name": st.fixed_dictionaries({"givenName": ANY_TEXT, "familyName": ANY_TEXT}) | JSON_VALUES,
        "emails": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"value": ANY_TEXT},
                    optional={"type": st.sampled_from(["work", "home", "x", 3]), "primary": JSON_LEAF},
                ),
                max_size=3,
            ),
            JSON_VALUES,
        ),
        "active": st.one_of(st.booleans(), st.sampled_from(["True", "False", "maybe", 1, 0, None])),
        "displayName": ANY_TEXT,
        "externalId": st.one_of(ANY_TEXT, JSON_VALUES),
        "id": JSON_LEAF,
        "meta": JSON_VALUES,
        "groups": JSON_VALUES,
        "password": JSON_LEAF,
        ENTERPRISE: st.one_of(st.fixed_dictionaries({"employeeNumber": ANY_TEXT}), JSON_VALUES),
        "urn:okta:acme_1:1.0:user:custom": BLOCK | JSON_VALUES,
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User": BLOCK,
        "urn:ietf:params:scim:schemas:extension:fuzz:2.0:User": BLOCK,
        "shoeSize": JSON_LEAF,
    }
    for key, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            user[key] = draw(strategy)
    if draw(st.integers(0, 5)) == 0:
        del user[draw(st.sampled_from(sorted(user)))]
    return user


def group_body(draw: st.DrawFn, known: Known) -> dict[str, Any]:
    member_id = st.one_of(st.sampled_from(known.user_ids), st.sampled_from(known.group_ids), JSON_LEAF)
    group: dict[str, Any] = {
        "schemas": draw(
            st.sampled_from([[GROUP], [GROUP, "urn:okta:custom:group:1.0"], [USER], ["x"], None])
        ),
        "displayName": draw(st.one_of(st.uuids().map(lambda u: f"fuzz-group-{u.hex[:8]}"), JSON_VALUES)),
    }
    if draw(st.booleans()):
        group["members"] = draw(
            st.one_of(
                st.lists(
                    st.fixed_dictionaries({"value": member_id}, optional={"type": JSON_LEAF}), max_size=4
                ),
                JSON_VALUES,
            )
        )
    if draw(st.integers(0, 4)) == 0:
        group[
            draw(
                st.sampled_from(
                    ["urn:okta:custom:group:1.0", "urn:ietf:params:scim:schemas:extension:fuzz:2.0:Group"]
                )
            )
        ] = draw(BLOCK | JSON_VALUES)
    return group


def patch_body(draw: st.DrawFn) -> dict[str, Any]:
    def operation() -> Any:
        op: dict[str, Any] = {
            "op": draw(
                st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove", "move", "", 7])
            )
        }
        if draw(st.integers(0, 4)):
            op["path"] = draw(PATCH_PATHS)
        if draw(st.integers(0, 4)):
            op["value"] = draw(
                st.one_of(
                    JSON_VALUES,
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "active": JSON_LEAF,
                            "displayName": JSON_LEAF,
                            "userName": JSON_LEAF,
                            "id": JSON_LEAF,
                        },
                    ),
                    st.lists(st.fixed_dictionaries({"value": JSON_LEAF}), max_size=3),
                )
            )
        return op if draw(st.integers(0, 12)) else draw(JSON_VALUES)

    return {
        "schemas": draw(st.sampled_from([[PATCH_OP], [PATCH_OP], ["urn:x"], None, PATCH_OP])),
        "Operations": [operation() for _ in range(draw(st.integers(0, 4)))]
        if draw(st.integers(0, 8))
        else draw(JSON_VALUES),
    }


def search_body(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": draw(st.sampled_from([[SEARCH], ["x"], None]))}
    for key, strategy in {
        "filter": st.one_of(FILTERS, mutated_filter(), JSON_LEAF),
        "startIndex": st.one_of(st.integers(-(2**70), 2**70), EXTREME_INTS, JSON_LEAF),
        "count": st.one_of(st.integers(-(2**70), 2**70), EXTREME_INTS, JSON_LEAF),
        "attributes": st.one_of(st.lists(st.sampled_from(ATTRIBUTES), max_size=3), JSON_LEAF),
        "excludedAttributes": st.one_of(st.lists(st.sampled_from(ATTRIBUTES), max_size=3), JSON_LEAF),
        "sortBy": st.one_of(st.sampled_from(ATTRIBUTES), JSON_LEAF),
        "sortOrder": st.sampled_from(["ascending", "descending", "sideways", 1]),
    }.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


BROKEN_JSON = st.sampled_from(
    [
        b'{"schemas": [',
        b"{",
        b"[",
        b'{"userName": "a",}',
        b"{'userName': 'a'}",
        b"\xff\xfe{}",
        b'{"userName": "\xff"}',
        b"\xef\xbb\xbf{}",
        b'"unterminated',
        b"{}}",
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"<xml/>",
        b"userName=a&active=true",
        b"\x00\x01\x02",
    ]
)
"""Bytes that are not a JSON document (RFC 8259): a write with one is 400 invalidSyntax. (NaN and
Infinity are left out: the core's parser accepts them, as RFC 8259 §9 allows a parser to, and then
judges the value, 400 invalidValue.)"""


def encode(value: Any, draw: st.DrawFn) -> bytes:
    """JSON text of a value: plain UTF-8, or ASCII with escapes (which can carry lone surrogates)."""
    style = draw(st.sampled_from(["utf8", "ascii", "pretty"]))
    if style == "utf8":
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if style == "ascii":
        return json.dumps(value).encode()
    return json.dumps(value, indent=4).encode()


CONTENT_TYPES = st.one_of(
    st.just(b"application/scim+json"),
    st.sampled_from(
        [
            b"application/scim+json",
            b"application/json",
            b"text/json",
            b"application/scim+json; charset=utf-8",
            b"text/plain",
            b"multipart/form-data; boundary=x",
            b"application/x-www-form-urlencoded",
            b"",
            b";;;",
            b"application/",
            b"*/*",
            b"application/vnd.x+json",
            b"APPLICATION/SCIM+JSON",
            b"application/json; charset=latin-1",
            b"\xff\xfe",
            None,
        ]
    ),
)
