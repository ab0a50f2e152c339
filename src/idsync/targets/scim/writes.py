"""Carrying out a user item against a SCIM server: which request, which body, which answers mean done.

A user is created with `userName`, `displayName` (and `name.formatted`), its e-mail as the primary
work e-mail, `active: true` and `externalId` = the source's immutable id (PlanItem.source_id), so the
account can be told apart from someone else's later. Every other change is a PATCH (or a PUT of the
whole resource on servers without PATCH, patching.py) of the attributes that change, nothing else:
some servers refuse a rewrite of an unchanged attribute (Atlassian's ID-8027: an unchanged `emails`
on an inactive user).

409 on create (scimType uniqueness, RFC 7644 §3.3): the holder of the userName is looked up
(`userName eq`, and `externalId eq`; failing both, the account with the same primary e-mail in a
listing of the users, as Atlassian links an existing account by e-mail). The same person — same
externalId, or same primary e-mail — is adopted: brought to what the item creates (its userName
included) and its id returned, so apply links it. Anyone else is a
ConflictError saying whose account it is (a dispute to settle by hand). Idempotent outcomes are
successes: deleting a user that is gone.
"""

from __future__ import annotations

from typing import Any

from idsync.domain.errors import BadRequestError, ConflictError, ConnectorError, NotFoundError
from idsync.domain.plan import Action, PlanItem
from idsync.targets.atlassian import item_username
from idsync.targets.scim.client import CHECKED, ScimWire, unreadable
from idsync.targets.scim.discovery import Discovery
from idsync.targets.scim.flavour import Flavour
from idsync.targets.scim.lookup import Ids, find, list_all, user_id
from idsync.targets.scim.patching import Operation, modify
from idsync.targets.scim.state import user_email

USER_FIELDS = {"email": "email", "emailAddress": "email", "display_name": "display_name",
               "displayName": "display_name", "username": "username", "name": "username",
               "active": "active"}
"""Change.field (as the diff names it) → what it sets on a SCIM user."""


def _new(item: PlanItem, field: str) -> Any:
    for change in item.changes:
        if USER_FIELDS.get(change.field) == field:
            return change.new
    return None


def _email_value(email: str) -> list[dict[str, Any]]:
    return [{"value": email, "type": "work", "primary": True}]


class UserWriter:
    """Maps each user Action to its SCIM request (apply owns order, concurrency and outcomes)."""

    def __init__(self, wire: ScimWire, found: Discovery, flavour: Flavour, ids: Ids, page_size: int) -> None:
        self.wire = wire
        self.found = found
        self.flavour = flavour
        self.ids = ids
        self.page_size = page_size

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out a user item; the SCIM id for CREATE_USER and LINK_USER, else None."""
        match item.action:
            case Action.CREATE_USER:
                return await self._create(item)
            case Action.LINK_USER:
                return item.user_key  # claiming writes only our link row
            case Action.UPDATE_USER:
                await self._change(item, self._field_operations(item))
            case Action.RENAME_USER:
                new = _new(item, "username")
                if not isinstance(new, str) or not new:
                    raise BadRequestError(f"rename_user of {item.subject}: the item names no new username")
                await self._change(item, [("replace", "userName", new)])
                self.ids.user(new, await self._id(item))
            case Action.DEACTIVATE_USER:
                await self._change(item, [("replace", "active", False)])
            case Action.REACTIVATE_USER:
                await self._change(item, [("replace", "active", True)])
            case Action.DELETE_USER:
                await self._delete(item)
            case Action.SET_USER_PROPERTY:
                await self._change(item, self._property_operations(item))
            case _:
                raise BadRequestError(f"{item.action} of {item.subject}: a SCIM user has no such change")
        return None

    # --- create ----------------------------------------------------------------------------------

    def _create_body(self, item: PlanItem) -> dict[str, Any]:
        body: dict[str, Any] = {"userName": item_username(item), "active": True}
        if item.source_id:
            body["externalId"] = item.source_id
        display = _new(item, "display_name")
        if isinstance(display, str) and display:
            body["displayName"] = display
            body["name"] = {"formatted": display}
        email = _new(item, "email")
        if isinstance(email, str) and email:
            body["emails"] = _email_value(email)
        return body

    async def _create(self, item: PlanItem) -> str:
        body = self._create_body(item)
        try:
            resource = self.found.user_model.model_validate(body)
        except CHECKED as exc:
            raise BadRequestError(f"create_user of {item.subject}: not a valid SCIM user ({exc})") from exc
        try:
            created: Any = await self.wire.create(resource, label="/Users")
        except ConflictError as conflict:
            return await self._adopt(item, body, conflict)
        except CHECKED as exc:
            raise unreadable(f"POST /Users ({item.subject})", exc) from exc
        except ConnectorError as exc:
            raise self._explained(item, exc) from exc
        if created is None or not getattr(created, "id", None):
            raise ConnectorError(f"POST /Users ({item.subject}): the answer carries no id")
        self.ids.user(body["userName"], str(created.id))
        return str(created.id)

    async def _adopt(self, item: PlanItem, body: dict[str, Any], conflict: ConflictError) -> str:
        """A 409: link the existing account when it is the same person, else say whose it is."""
        name = str(body["userName"])
        candidates: dict[str, Any] = {}
        model = self.found.user_model
        for resource in await find(self.wire, model, "/Users", "userName", name, self.page_size):
            candidates[str(resource.id)] = resource
        sid = item.source_id
        if sid and self.flavour.filters_users_by("externalId"):
            for resource in await find(self.wire, self.found.user_model, "/Users", "externalId", sid,
                                       self.page_size):  # fmt: skip
                candidates[str(resource.id)] = resource
        email = str(body["emails"][0]["value"]) if body.get("emails") else None
        if not candidates and email is not None:
            # The holder may be the account of the same e-mail under another userName (Atlassian links
            # an existing account by e-mail). Filters cannot search e-mails on every server (Atlassian
            # Cloud: only userName / externalId), so list the users once: a rare, bounded read.
            everyone, _ = await list_all(self.wire, model, self.page_size, endpoint="/Users",
                                         attributes=["userName", "externalId", "emails"])
            for resource in everyone:
                mail = user_email(resource)
                if mail is not None and mail.casefold() == email.casefold():
                    candidates[str(resource.id)] = resource
        for resource in candidates.values():
            same_id = bool(sid) and resource.external_id == sid
            mail = user_email(resource)
            same_mail = email is not None and mail is not None and mail.casefold() == email.casefold()
            if same_id or same_mail:
                await self._bring_to(resource, body)
                self.ids.user(str(resource.user_name), str(resource.id))
                return str(resource.id)
        if candidates:
            other = next(iter(candidates.values()))
            raise ConflictError(
                f"create_user of {name}: {self.flavour.label} already has account {other.user_name!r} "
                f"(id {other.id}) and it is someone else's: its externalId {other.external_id!r} and e-mail "
                f"{user_email(other)!r} match neither source user {sid!r} nor {email!r}. Settle it by hand "
                "(rename or remove that account, or change the username rule)", status=409,
            )  # fmt: skip
        raise ConflictError(f"{conflict}; and no account with userName {name!r} or externalId {sid!r} can be "
                            "found to link", status=409)

    async def _bring_to(self, resource: Any, body: dict[str, Any]) -> None:
        """Make an adopted account what the item would have created (only what differs)."""
        operations: list[Operation] = []
        if resource.user_name != body["userName"]:
            operations.append(("replace", "userName", body["userName"]))
        if body.get("externalId") and resource.external_id != body["externalId"]:
            operations.append(("replace", "externalId", body["externalId"]))
        if body.get("displayName") and resource.display_name != body["displayName"]:
            operations += [("replace", "displayName", body["displayName"]),
                           ("replace", "name.formatted", body["displayName"])]
        if body.get("emails") and (user_email(resource) or "") != body["emails"][0]["value"]:
            operations.append(("replace", "emails", body["emails"]))
        if resource.active is False:
            operations.append(("replace", "active", True))
        if operations:
            await modify(self.wire, self.found.user_model, "/Users", str(resource.id), operations,
                         patch=self.found.patch)  # fmt: skip

    # --- changes ---------------------------------------------------------------------------------

    def _field_operations(self, item: PlanItem) -> list[Operation]:
        operations: list[Operation] = []
        for change in item.changes:
            field = USER_FIELDS.get(change.field)
            if field == "display_name" and isinstance(change.new, str) and change.new:
                operations += [("replace", "displayName", change.new),
                               ("replace", "name.formatted", change.new)]
            elif field == "email" and isinstance(change.new, str) and change.new:
                operations.append(("replace", "emails", _email_value(change.new)))
            elif field in ("display_name", "email"):
                continue  # the diff never clears these; nothing to send
            else:
                valid = "email, display_name"
                raise BadRequestError(f"update_user of {item.subject}: a SCIM user has no updatable field "
                                      f"{change.field!r}; valid: {valid}")
        if not operations:
            raise BadRequestError(f"update_user of {item.subject}: the item changes no SCIM user attribute")
        return operations

    def _property_operations(self, item: PlanItem) -> list[Operation]:
        operations: list[Operation] = []
        for change in item.changes:
            attribute = self.found.attribute(change.field)
            if change.new is None or change.new == "":
                operations.append(("remove", attribute.patch_path, None))
            else:
                operations.append(("replace", attribute.patch_path, str(change.new)))
        return operations

    async def _change(self, item: PlanItem, operations: list[Operation]) -> None:
        resource_id = await self._id(item)
        try:
            await modify(self.wire, self.found.user_model, "/Users", resource_id, operations,
                         patch=self.found.patch)  # fmt: skip
        except ConnectorError as exc:
            raise self._explained(item, exc) from exc

    async def _delete(self, item: PlanItem) -> None:
        try:
            resource_id = await self._id(item)
        except NotFoundError:
            return  # no such user: the goal is reached
        try:
            await self.wire.delete(self.found.user_model, resource_id, label="/Users/{id}")
        except NotFoundError:
            return
        except CHECKED as exc:
            raise unreadable(f"DELETE /Users/{resource_id}", exc) from exc

    async def _id(self, item: PlanItem) -> str:
        """The item's user id: its key, else the id of its username (remembered, else looked up)."""
        if item.user_key:
            return item.user_key
        username = item_username(item)
        found = await user_id(self.wire, self.found, self.ids, username, self.page_size)
        if found is None:
            label = self.flavour.label
            raise NotFoundError(f"{item.action} of {item.subject}: {label} has no user {username!r}")
        return found

    def _explained(self, item: PlanItem, exc: ConnectorError) -> ConnectorError:
        explain = self.flavour.explain
        return exc if explain is None else explain(item, exc)
