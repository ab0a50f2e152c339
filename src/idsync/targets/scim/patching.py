"""Changing an existing SCIM resource: PATCH where the server supports it, else PUT of the whole
resource (RFC 7644 §3.5).

The change is always described as PatchOp operations (scim2-models). A server with
`patch.supported` gets them as they are, in one request. A PUT-only server gets the resource read
(`GET`), the same operations applied to it locally by scim2-models (`PatchOp.patch`, which follows
RFC 7644 §3.5.2), and the result replaced (`PUT`): one change, two requests, and the attributes idsync
does not manage are sent back as they were read.
"""

from __future__ import annotations

from typing import Any, cast

from scim2_models import PatchOp, PatchOperation, Resource

from idsync.domain.errors import BadRequestError
from idsync.targets.scim.client import CHECKED, ScimWire, unreadable

Operation = tuple[str, str, Any]
"""(op "add" / "replace" / "remove", path, value) of one PATCH operation."""


async def modify(
    wire: ScimWire,
    model: type[Resource[Any]],
    endpoint: str,
    resource_id: str,
    operations: list[Operation],
    *,
    patch: bool,
) -> None:
    """Apply `operations` to the resource `resource_id` of `model` (served at `endpoint`)."""
    what = f"{endpoint}/{resource_id}"
    try:
        patch_op = cast(Any, PatchOp)[model](operations=[
            PatchOperation(op=op, path=path) if op == "remove" and value is None
            else PatchOperation(op=op, path=path, value=value)
            for op, path, value in operations
        ])  # fmt: skip
    except CHECKED as exc:
        raise BadRequestError(f"PATCH {what}: idsync built an invalid change ({exc})") from exc
    label = f"{endpoint}/{{id}}"
    if patch:
        try:
            await wire.modify(model, resource_id, patch_op, label=label)
        except CHECKED as exc:
            raise unreadable(f"PATCH {what}", exc) from exc
        return
    try:
        current: Any = await wire.query(model, resource_id, label=label)
    except CHECKED as exc:
        raise unreadable(f"GET {what}", exc) from exc
    try:
        patch_op.patch(current)
    except CHECKED as exc:
        raise BadRequestError(f"PUT {what}: the change does not apply to the resource read ({exc})") from exc
    try:
        await wire.replace(current, label=label)
    except CHECKED as exc:
        raise unreadable(f"PUT {what}", exc) from exc
