"""SCIM 1.1 (Okta's SCIM 1.1 connector), translated to and from SCIM 2.0.

Requests: `/ServiceProviderConfigs` (plural) → `/ServiceProviderConfig`; the 1.1 core schema URN
`urn:scim:schemas:core:1.0` → the 2.0 User or Group URN of the endpoint; PATCH is a partial resource,
turned into a 2.0 PatchOp: plain attributes → one no-path `replace`, `members` entries → `add`, or
`remove members[value eq "…"]` when they carry `"operation": "delete"`, and `meta.attributes` → a
`remove` of each named attribute. Writes to the discovery endpoints get 405.
Responses: 2.0 schema URNs → the 1.1 URN (resources and ListResponse), errors →
`{"Errors": [{"description": …, "code": …}]}` with the numeric code Okta's 1.1 documentation shows.
"""

from __future__ import annotations

from typing import Any

from scim2_server.responses import ScimResponse

from idsync.sources.scim.compat import WireRequest

CORE_10 = "urn:scim:schemas:core:1.0"
_CORE_20 = {
    "Users": "urn:ietf:params:scim:schemas:core:2.0:User",
    "Groups": "urn:ietf:params:scim:schemas:core:2.0:Group",
}
_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_LIST_20 = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_ERROR_20 = "urn:ietf:params:scim:api:messages:2.0:Error"
_ENTERPRISE_10 = "urn:scim:schemas:extension:enterprise:1.0"
_ENTERPRISE_20 = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DISCOVERY = frozenset({"ServiceProviderConfigs", "ServiceProviderConfig", "ResourceTypes", "Schemas"})


def normalise(request: WireRequest) -> None:
    """Rewrite a 1.1 request into its 2.0 equivalent, in place."""
    if request.endpoint == "ServiceProviderConfigs":
        request.path = "/ServiceProviderConfig" + request.path.strip("/")[len("ServiceProviderConfigs") :]
    body = request.json
    if not isinstance(body, dict) or request.endpoint not in _CORE_20:
        return
    core = _CORE_20[request.endpoint]
    body = _to_20_schemas(body, core)
    if request.method == "PATCH":
        body = _patch_of(body)
    request.set_json(body)


def _to_20_schemas(body: dict[str, Any], core: str) -> dict[str, Any]:
    schemas = body.get("schemas")
    if isinstance(schemas, list):
        mapped = [core if s == CORE_10 else _ENTERPRISE_20 if s == _ENTERPRISE_10 else s for s in schemas]
        body = {**body, "schemas": _unique(mapped)}
    if _ENTERPRISE_10 in body:
        body = {
            **{k: v for k, v in body.items() if k != _ENTERPRISE_10},
            _ENTERPRISE_20: body[_ENTERPRISE_10],
        }
    return body


def _unique(schemas: list[Any]) -> list[Any]:
    """The schema URIs once each, in order; anything that is not a string (`[{}]`) is kept as sent
    for the core to refuse with a 400 (it cannot be compared, and hashing it used to fail here)."""
    seen: set[str] = set()
    out = []
    for schema in schemas:
        if isinstance(schema, str):
            if schema in seen:
                continue
            seen.add(schema)
        out.append(schema)
    return out


def _patch_of(body: dict[str, Any]) -> dict[str, Any]:
    operations: list[dict[str, Any]] = []
    meta = body.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("attributes"), list):
        operations.extend({"op": "remove", "path": str(name)} for name in meta["attributes"])
    replace = {k: v for k, v in body.items() if k not in ("schemas", "id", "meta", "members")}
    if replace:
        operations.append({"op": "replace", "value": replace})
    members = body.get("members")
    if isinstance(members, list):
        added = []
        for member in members:
            if isinstance(member, dict) and str(member.get("operation", "")).lower() == "delete":
                value = str(member.get("value", "")).replace("\\", "\\\\").replace('"', '\\"')
                operations.append({"op": "remove", "path": f'members[value eq "{value}"]'})
            elif isinstance(member, dict):
                added.append({k: v for k, v in member.items() if k != "operation"})
        if added:
            operations.append({"op": "add", "path": "members", "value": added})
    return {"schemas": [_PATCH_OP], "Operations": operations}


def response(request: WireRequest, reply: ScimResponse) -> ScimResponse:
    """Rewrite a 2.0 response into its 1.1 form."""
    body = reply.body
    if body is None:
        return reply
    schemas = body.get("schemas") or []
    if _ERROR_20 in schemas:
        code = int(body.get("status") or reply.status)
        reply.body = {"Errors": [{"description": body.get("detail") or reply.status.phrase, "code": code}]}
        return reply
    if _LIST_20 in schemas:
        reply.body = {
            **body,
            "schemas": [CORE_10],
            "Resources": [_to_10(r) for r in body.get("Resources", [])],
        }
        return reply
    reply.body = _to_10(body)
    return reply


def _to_10(resource: Any) -> Any:
    if not isinstance(resource, dict):
        return resource
    schemas = resource.get("schemas")
    if isinstance(schemas, list):
        core = set(_CORE_20.values())
        mapped = [CORE_10 if s in core else _ENTERPRISE_10 if s == _ENTERPRISE_20 else s for s in schemas]
        resource = {**resource, "schemas": list(dict.fromkeys(mapped))}
    if _ENTERPRISE_20 in resource:
        resource = {
            **{k: v for k, v in resource.items() if k != _ENTERPRISE_20},
            _ENTERPRISE_10: resource[_ENTERPRISE_20],
        }
    return resource
