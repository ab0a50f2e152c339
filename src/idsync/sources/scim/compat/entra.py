"""Microsoft Entra ID provisioning as a SCIM client (see docs/vendors/scim.md for what it sends).

- `op` capitalised (`Add`, `Replace`, `Remove`) → lower-case.
- Member removal as `{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}` (the default
  job) → one `remove` per member with path `members[value eq "u1"]`, the RFC form the flagged job
  sends. Removing a non-member stays a no-op (IdPs re-send removals).
- `"True"` / `"False"` strings for booleans: pydantic's lax booleans read them already.
- Dotted and URN-qualified keys inside a no-path replace: scim2-models treats them as paths.
- Unquoted filter values such as `externalId eq jyoung` → quoted before the filter parser sees
  them; numbers and the literals true/false/null stay bare.
- Group PATCH answers 204: see idsync.sources.scim.endpoint.
"""

from __future__ import annotations

import re

from idsync.sources.scim.compat import WireRequest

_OPS = {"add", "replace", "remove"}
_BARE = re.compile(
    r"(?P<head>[\w.:$-]+\s+(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+)(?P<value>[^\s\"()\[\]]+)", re.IGNORECASE
)
_LITERAL = re.compile(r"^(?:true|false|null|-?\d+(?:\.\d+)?)$", re.IGNORECASE)


def quote_bare_values(scim_filter: str) -> str:
    """`externalId eq jyoung` → `externalId eq "jyoung"`; leaves quoted strings and literals alone."""
    out: list[str] = []
    position = 0
    # Walk outside quoted strings only, so a quoted value that looks like `a eq b` is never touched.
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"', scim_filter):
        out.append(_quote_segment(scim_filter[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_quote_segment(scim_filter[position:]))
    return "".join(out)


def _quote_segment(segment: str) -> str:
    def fix(match: re.Match[str]) -> str:
        value = match.group("value")
        if _LITERAL.match(value):
            return match.group(0)
        return f'{match.group("head")}"{value}"'

    return _BARE.sub(fix, segment)


def normalise(request: WireRequest) -> None:
    """Rewrite Entra's forms in place."""
    if "filter" in request.query:
        fixed = quote_bare_values(request.query["filter"])
        if fixed != request.query["filter"]:
            request.query["filter"] = fixed
    body = request.json
    if (
        request.method != "PATCH"
        or not isinstance(body, dict)
        or not isinstance(body.get("Operations"), list)
    ):
        return
    rewritten: list[object] = []
    changed = False
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            rewritten.append(operation)
            continue
        op = operation.get("op")
        if isinstance(op, str) and op.lower() in _OPS and op != op.lower():
            operation = {**operation, "op": op.lower()}
            changed = True
        path = operation.get("path")
        value = operation.get("value")
        if (
            operation.get("op") == "remove"
            and isinstance(path, str)
            and path.strip().lower() == "members"
            and isinstance(value, list)
            and value
        ):
            for member in value:
                member_id = member.get("value") if isinstance(member, dict) else None
                if not isinstance(member_id, str):
                    rewritten.append(operation)  # not a member list: the core reports it
                    break
                rewritten.append({"op": "remove", "path": f"members[value eq {_quoted(member_id)}]"})
            changed = True
            continue
        rewritten.append(operation)
    if changed:
        request.set_json({**body, "Operations": rewritten})


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
