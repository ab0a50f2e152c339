"""Generated requests against one SCIM inbox mount, and the judgement of each answer: what
tests/server/test_scim_fuzz.py and bench/scim_fuzz.py share.

A `Probe` is one HTTP request (method, raw request target, headers, body) plus what the RFC says its
answer must be, where the generator knows it for certain: a body that is not JSON is 400
`invalidSyntax`, a filter that cannot parse is 400 `invalidFilter`, a PATCH `remove` without a path
is 400 `noTarget`, a second user with a taken userName is 409 `uniqueness`, a request without a valid
bearer token is 401. Everything else only has to be answered well: below 500, a JSON body, and for an
error the SCIM Error message (RFC 7644 §3.12) — `status` the HTTP status as a string, `scimType`, when
there is one, from the RFC's list, and always one on a 400 (every 400 the RFC describes has one).

The generators (`probes` in scim_fuzz_requests.py, over the values of scim_fuzz_payloads.py) start
from valid requests of real IdPs — users, groups, PatchOps, filters from the RFC grammar — and break
them: wrong types, nulls, huge and non-ASCII strings, unknown
schemas and attributes, deep nesting, odd PATCH paths, unbalanced quotes and brackets, unknown
operators, traversal and percent-encoded paths, odd content types and credentials, paging parameters
that are negative, huge or not numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SCIM_TYPES = frozenset(
    {
        "invalidFilter",
        "tooMany",
        "uniqueness",
        "mutability",
        "invalidSyntax",
        "invalidPath",
        "noTarget",
        "invalidValue",
        "invalidVers",
        "sensitive",
    }
)
"""RFC 7644 §3.12, table 9: every scimType a SCIM error may carry."""


@dataclass(frozen=True)
class Known:
    """What the fuzzed inbox holds before the first probe: ids and userNames to aim at."""

    token: str = field(repr=False)
    other_token: str = field(repr=False)
    user_ids: tuple[str, ...]
    user_names: tuple[str, ...]
    taken_names: tuple[str, ...]
    """userNames of users whose ids no probe knows, so they stay taken: a POST of one is a 409."""
    group_ids: tuple[str, ...]
    max_body_bytes: int


@dataclass(frozen=True, repr=False)
class Probe:
    """One generated request and what its answer must be where the RFC says so. Its repr (which
    hypothesis prints for a failing example) is `describe()`, which never shows a token."""

    method: str
    target: str
    """The raw request target under the mount: path and query string, sent as is."""
    headers: tuple[tuple[str, bytes], ...]
    body: bytes
    version: str = "v2"
    expect_status: tuple[int, ...] = ()
    """The statuses the RFC allows for this request, when the generator knows them (empty: any)."""
    expect_type: str | None = None
    """The scimType the RFC assigns to this request's 400 or 409, when the generator knows it."""
    notes: tuple[str, ...] = ()

    @property
    def not_implemented(self) -> bool:
        """Whether the request is for an optional endpoint the inbox does not offer, which RFC 7644
        answers 501 Not Implemented: /Me (§3.11) and /Bulk (§3.7, bulk.supported false)."""
        path = self.target.split("?", 1)[0].removeprefix("/v2").removesuffix(".scim").strip("/")
        return path in ("Me", "Bulk")

    def __repr__(self) -> str:
        return f"Probe<{self.describe()}>"

    def describe(self, limit: int = 600) -> str:
        """The request, readable and cut to `limit` characters per part (for a failure report)."""
        headers = {k: v.decode("latin-1") for k, v in self.headers}
        if "Authorization" in headers:
            scheme, _, credential = headers["Authorization"].partition(" ")
            headers["Authorization"] = f"{scheme} <{len(credential)} characters>"  # never print a token
        body = self.body.decode("utf-8", "replace")
        return (
            f"{self.method} /scim/{self.version}/<conn>{self.target[:limit]} headers={headers} "
            f"body({len(self.body)} bytes)={body[:limit]!r} expect={self.expect_status},{self.expect_type}"
        )


@dataclass
class Verdict:
    """What was wrong with one answer (empty: nothing)."""

    status: int
    problems: list[str] = field(default_factory=list)


def send(http: httpx.Client, mount: str, probe: Probe) -> httpx.Response:
    """Send a probe unchanged: the raw target goes on the request line (httpx would normalise it)."""
    request = httpx.Request(
        probe.method,
        http.base_url,
        headers=[(name.encode(), value) for name, value in probe.headers],
        content=probe.body,
        extensions={"target": f"{mount}{probe.target}".encode("latin-1")},
    )
    return http.send(request)


def judge(probe: Probe, status: int, body: bytes) -> Verdict:
    """Every rule an answer must keep (see the module docstring)."""
    verdict = Verdict(status)
    problems = verdict.problems
    if status >= 500 and not (status == 501 and probe.not_implemented):
        problems.append(f"server error {status}")
    if probe.expect_status and status not in probe.expect_status:
        problems.append(f"expected {' or '.join(map(str, probe.expect_status))}, got {status}")
    if probe.method == "HEAD" or status in (204, 304) or (300 <= status < 400 and not body):
        if probe.method != "HEAD" and status in (204, 304) and body:
            problems.append(f"{status} with a body")
        return verdict
    try:
        document = json.loads(body)
    except ValueError:
        problems.append(f"body is not JSON: {body[:200]!r}")
        return verdict
    if status < 400:
        return verdict
    if probe.version == "v1":
        _judge_v1_error(status, document, problems)
    else:
        _judge_error(probe, status, document, problems)
    return verdict


def _judge_error(probe: Probe, status: int, document: Any, problems: list[str]) -> None:
    if not isinstance(document, dict):
        problems.append(f"error body is not an object: {document!r:.200}")
        return
    if document.get("schemas") != [ERROR]:
        problems.append(f"error schemas {document.get('schemas')!r}")
    if document.get("status") != str(status):
        problems.append(f"error status {document.get('status')!r} for HTTP {status}")
    scim_type = document.get("scimType")
    if scim_type is not None and scim_type not in SCIM_TYPES:
        problems.append(f"scimType {scim_type!r} is not one of RFC 7644 §3.12")
    if status == 400 and scim_type is None:
        problems.append("a 400 without scimType")
    if status == 409 and scim_type != "uniqueness":
        problems.append(f"a 409 with scimType {scim_type!r}, not uniqueness")
    if probe.expect_type is not None and status in (400, 409) and scim_type != probe.expect_type:
        problems.append(f"scimType {scim_type!r}, expected {probe.expect_type!r}")
    if not isinstance(document.get("detail", ""), str):
        problems.append(f"detail {document.get('detail')!r:.100} is not a string")


def _judge_v1_error(status: int, document: Any, problems: list[str]) -> None:
    """SCIM 1.1 errors as Okta's 1.1 connector reads them: {"Errors": [{"description", "code"}]}."""
    errors = document.get("Errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        problems.append(f"1.1 error body {document!r:.200}")
        return
    if errors[0].get("code") != status:
        problems.append(f"1.1 error code {errors[0].get('code')!r} for HTTP {status}")


def seed(http: httpx.Client, token: str, other_token: str, max_body_bytes: int, users: int = 20) -> Known:
    """Fill a fresh inbox (through `http`, a client on its SCIM 2.0 mount) with the users and groups
    the probes aim at, plus users no probe knows the id of, whose userNames stay taken."""

    def created(path: str, body: dict[str, Any]) -> str:
        response = http.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    names = [f"seed{i}@example.test" for i in range(users)]
    ids = [
        created("/Users", {"schemas": [USER], "userName": name, "emails": [{"value": name, "type": "work"}]})
        for name in names
    ]
    taken = [f"taken{i}@example.test" for i in range(5)]
    for name in taken:
        created("/Users", {"schemas": [USER], "userName": name})
    groups = [
        created(
            "/Groups",
            {
                "schemas": [GROUP],
                "displayName": f"seed-group-{i}",
                "members": [{"value": u} for u in ids[i::5]],
            },
        )
        for i in range(5)
    ]
    return Known(token, other_token, tuple(ids), tuple(names), tuple(taken), tuple(groups), max_body_bytes)
