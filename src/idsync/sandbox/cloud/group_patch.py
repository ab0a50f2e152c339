"""PATCH of a group, applied by the emulator itself rather than by scim2-models: a group may hold
35,000 members, and rebuilding it as a pydantic model for every membership change would make the
emulator the bottleneck of a sync. Paths are still parsed by scim2-models.

What a group PATCH may do (RFC 7644 §3.5.2, the forms Okta and Entra send, Atlassian's rules):

- `add` members (path `members`, a list of `{"value": "<user id>"}`): already-present members are no change;
- `replace` members: the member list becomes exactly the value;
- `remove` with path `members[value eq "<id>"]`: that member (none: no change, as IdPs re-send removals);
  with path `members` and a value list (Entra's form): those members; with path `members` alone: all;
- `replace`/`add` of externalId; `remove` of externalId;
- displayName: the same name is accepted (Okta sends it with every membership change), a different
  one is 400 mutability — Atlassian does not support renaming a group;
- no path: the value is an object of attribute → value handled as above (`id`, `schemas`, `meta`
  are ignored, being read-only);
- `remove` without path: 400 noTarget; an unknown path: 400 invalidPath; an unknown op: 400 invalidSyntax.

All operations are checked first and then applied together, or none is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim2_models import InvalidPathException, Path
from scim2_models.path import AttrPath, CompareOperator, Comparison, ValuePath

from idsync.sandbox.cloud.errors import CloudError, group_error
from idsync.sandbox.cloud.models import CORE_GROUP, PATCH_OP

_READ_ONLY = frozenset({"id", "schemas", "meta"})


@dataclass
class GroupChange:
    """What a PATCH or PUT asks of a group: its new member list, externalId, and the displayName
    it named (checked against the current one by the caller)."""

    members: dict[str, None]
    external_id: str | None
    display_names: list[str] = field(default_factory=list)


def member_ids(value: Any, attribute: str = "members") -> list[str]:
    """The user ids of a `members` value (a list of objects with a string `value`)."""
    if not isinstance(value, list):
        raise group_error(400, f'{attribute} must be a list of {{"value": "<user id>"}}', "invalidValue")
    ids: list[str] = []
    for item in value:
        member = item.get("value") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member:
            raise group_error(
                400, f"every member needs a string 'value' (a user id); got {item!r}", "invalidValue"
            )
        kind = item.get("type")
        if kind is not None and str(kind).casefold() != "user":
            raise group_error(
                400,
                f"member {member!r} has type {kind!r}; only users can be members (no nested groups)",
                "invalidValue",
            )
        ids.append(member)
    return ids


def apply_patch(body: dict[str, Any], members: dict[str, None], external_id: str | None) -> GroupChange:
    """The group change a PatchOp body asks for, starting from the current members and externalId."""
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP not in schemas:
        raise CloudError(400, f"A PATCH body must have schemas [{PATCH_OP!r}]", "invalidSyntax")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise CloudError(400, "A PATCH body needs a non-empty list 'Operations'", "invalidSyntax")
    change = GroupChange(dict(members), external_id)
    for operation in operations:
        if not isinstance(operation, dict):
            raise CloudError(400, f"Every operation must be an object; got {operation!r}", "invalidSyntax")
        _operation(change, operation)
    return change


def _operation(change: GroupChange, operation: dict[str, Any]) -> None:
    op = str(operation.get("op", "")).casefold()
    if op not in ("add", "replace", "remove"):
        raise CloudError(
            400, f"Unsupported op {operation.get('op')!r}; valid: add, replace, remove", "invalidSyntax"
        )
    raw_path = operation.get("path")
    value = operation.get("value")
    if raw_path is None or raw_path == "":
        if op == "remove":
            raise CloudError(400, "A remove operation needs a path", "noTarget")
        if not isinstance(value, dict):
            raise CloudError(
                400, f"An {op} without path needs an object value; got {value!r}", "invalidValue"
            )
        for key, item in value.items():
            _attribute(change, op, _target(str(key)), None, item)
        return
    target = _target(str(raw_path))
    if isinstance(target, ValuePath):
        if op != "remove":
            raise CloudError(
                400, f"{op} with the path {raw_path!r} is not supported; use path 'members'", "invalidPath"
            )
        change.members.pop(_member_filter(target, str(raw_path)), None)
        return
    _attribute(change, op, target, str(raw_path), value)


def _target(text: str) -> AttrPath | ValuePath:
    try:
        ast = Path(text).ast
    except (InvalidPathException, ValueError) as exc:
        raise CloudError(400, f"Invalid path {text!r}", "invalidPath") from exc
    if isinstance(ast, AttrPath | ValuePath):
        uri = ast.uri if isinstance(ast, AttrPath) else ast.attr_path.uri
        if uri is None or uri.casefold() == CORE_GROUP.casefold():
            return ast
    raise CloudError(400, f"Invalid path {text!r} for a group", "invalidPath")


def _member_filter(target: ValuePath, text: str) -> str:
    node = target.val_filter
    if (
        target.attr_path.attr.casefold() == "members"
        and target.sub_attr is None
        and isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and node.attr_path.attr.casefold() == "value"
        and isinstance(node.value, str)
    ):
        return node.value
    raise CloudError(400, f'Unsupported path {text!r}; valid: members[value eq "<user id>"]', "invalidPath")


def _attribute(
    change: GroupChange, op: str, target: AttrPath | ValuePath, raw: str | None, value: Any
) -> None:
    if isinstance(target, ValuePath) or target.sub_attr is not None:
        raise CloudError(400, f"Unsupported path {raw or str(target)!r} for a group", "invalidPath")
    name = target.attr.casefold()
    if name == "members":
        if op == "remove":
            if value is None:
                change.members.clear()
            else:
                for member in member_ids(value):
                    change.members.pop(member, None)
        elif op == "replace":
            change.members = dict.fromkeys(member_ids(value))
        else:
            change.members.update(dict.fromkeys(member_ids(value)))
    elif name == "externalid":
        if op == "remove":
            change.external_id = None
        elif value is None or isinstance(value, str):
            change.external_id = value
        else:
            raise group_error(400, f"externalId must be a string; got {value!r}", "invalidValue")
    elif name == "displayname":
        if op == "remove" or not isinstance(value, str):
            raise group_error(400, "displayName is required and cannot be removed", "mutability")
        change.display_names.append(value)
    elif name in _READ_ONLY and raw is None:
        return  # read-only attributes inside a no-path value (Okta sends the id): ignored
    else:
        raise CloudError(400, f"Unsupported path {raw or target.attr!r} for a group", "invalidPath")
