"""Okta as a SCIM client (see docs/vendors/scim.md for what it sends).

- `Content-Type: text/json` (Okta's doc examples) is read as JSON; `application/json` and
  `application/scim+json` the core accepts already.
- Deactivate / reactivate is a `replace` with no path and `{"active": false}`, and a group rename
  is a no-path replace carrying `{"id", "displayName"}` with every membership PATCH: the core applies
  no-path replaces and ignores the read-only `id`, so neither needs a rewrite — `id` is dropped here
  only when it names another resource, which would otherwise be silently ignored.
- Custom (AIW) apps PUT the whole user, with the read-only `groups: []` and a placeholder `password`:
  both are dropped from a PUT /Users body, as the core would refuse `password` under our
  changePassword: false and `groups` is never the client's to set.
- A filter that matches nothing is an empty ListResponse, never a 404 (Okta treats a 404 there as
  an error); that is the core's answer.
"""

from __future__ import annotations

from idsync.sources.scim.compat import WireRequest

_TEXT_JSON = "text/json"


def normalise(request: WireRequest) -> None:
    """Rewrite Okta's forms in place."""
    if request.content_type and request.content_type.split(";", 1)[0].strip().lower() == _TEXT_JSON:
        request.content_type = "application/json"
    body = request.json
    if not isinstance(body, dict):
        return
    if request.method in ("PUT", "POST") and request.endpoint == "Users":
        cleaned = {k: v for k, v in body.items() if k.lower() not in ("groups", "password")}
        if cleaned != body:
            request.set_json(cleaned)
    if request.method == "PATCH":
        target = request.path.strip("/").split("/")[-1]
        operations = body.get("Operations")
        if isinstance(operations, list):
            for operation in operations:
                value = operation.get("value") if isinstance(operation, dict) else None
                if (
                    isinstance(operation, dict)
                    and "path" not in operation
                    and isinstance(value, dict)
                    and "id" in value
                ):
                    if value["id"] != target:
                        request.notes.append(f"no-path replace names id {value['id']!r}, not {target!r}")
                    operation["value"] = {k: v for k, v in value.items() if k != "id"}
                    request.changed = True
