"""Carrying out one plan item against Crowd's usermanagement API: which call, which body, which
answers mean done.

Idempotent outcomes are successes, because the state they aim at is reached: adding a member who is
already one (409 MEMBERSHIP_ALREADY_EXISTS), removing one who is not (404 MEMBERSHIP_NOT_FOUND),
creating a group that exists, deleting a user or an attribute that is gone. A user that exists when
we try to create it is a ConflictError (the diff must claim it instead, so the link row gets
written). Everything else raises the error the HttpClient mapped, refined by Crowd's `reason`.

PUT /user replaces the whole user, so an update, a deactivation and a reactivation first read the
user (by its immutable key when known) and send it back with the change applied.
"""

from __future__ import annotations

from typing import Any

from idsync.domain.errors import BadRequestError, ConflictError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.http import HttpClient
from idsync.targets.atlassian import item_group, item_username
from idsync.targets.crowd.client import API, CrowdUser
from idsync.targets.crowd.quirks import already_exists, is_reason, refine, split_display_name, strong_password

USER_FIELDS = frozenset({"email", "display_name"})
"""The Change.field names an UPDATE_USER item may carry for Crowd (the diff's names)."""
PROPERTY_PREFIX = "property:"
"""A SET_USER_PROPERTY change names the attribute, optionally as `property:<name>`."""


class CrowdWriter:
    """Maps each Action to its Crowd calls (the apply engine owns order, concurrency and outcomes)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out `item`; return the user key for CREATE_USER and LINK_USER, else None."""
        match item.action:
            case Action.CREATE_GROUP:
                await self._create_group(item)
            case Action.CREATE_USER:
                return await self._create_user(item)
            case Action.LINK_USER:
                return item.user_key  # claiming writes only our link row, nothing in Crowd
            case Action.RENAME_USER:
                await self._rename_user(item)
            case Action.UPDATE_USER:
                await self._update_user(item)
            case Action.REACTIVATE_USER:
                await self._put_user(await self._current(item), active=True)
            case Action.DEACTIVATE_USER:
                await self._put_user(await self._current(item), active=False)
            case Action.SET_USER_PROPERTY:
                await self._set_attributes(item)
            case Action.ADD_MEMBER:
                await self._add_member(item)
            case Action.REMOVE_MEMBER:
                await self._remove_member(item)
            case Action.DELETE_USER:
                await self._delete_user(item)
            case _:
                # leads and licence groups are Jira's and Bitbucket's; Crowd has neither
                raise BadRequestError(f"{item.action} of {item.subject}: Crowd has no such operation")
        return None

    # --- users -----------------------------------------------------------------------------------

    async def _create_user(self, item: PlanItem) -> str:
        name = item_username(item)
        new = {c.field: c.new for c in item.changes}
        display = str(new.get("display_name") or name)
        first, last = split_display_name(display)
        body = {
            "name": name,
            # Crowd requires a password; people sign in through SSO or the directory, so this one is
            # random, used nowhere and never logged or kept.
            "password": {"value": strong_password()},
            "active": True,
            "first-name": first,
            "last-name": last,
            "display-name": display,
            "email": str(new.get("email") or ""),
        }
        response = await self.http.request("POST", f"{API}/user", json=body, ok=(201, 400, 409))
        if response.status_code != 201:
            error = refine(response)
            if already_exists(response):
                raise ConflictError(str(error), status=response.status_code)
            raise error
        # The documented answer is 201 with a Location header; the body may or may not carry the
        # user, so read it back by name when it does not.
        try:
            return CrowdUser.model_validate_json(response.content).key
        except ValueError:
            return (await self._get({"username": name})).key

    async def _get(self, params: dict[str, str]) -> CrowdUser:
        response = await self.http.request("GET", f"{API}/user", params=params, ok=(200, 404))
        if response.status_code == 404:
            raise refine(response)
        return CrowdUser.model_validate_json(response.content)

    async def _current(self, item: PlanItem) -> CrowdUser:
        """The user as Crowd holds it now, by immutable key when known (rename-safe)."""
        return await self._get({"key": item.user_key} if item.user_key else {"username": item_username(item)})

    async def _put_user(self, user: CrowdUser, **changes: Any) -> None:
        """PUT /user with the whole user: Crowd replaces the fields it is sent."""
        body: dict[str, Any] = {
            "name": user.name,
            "first-name": user.first_name or "",
            "last-name": user.last_name or "",
            "display-name": user.display_name or "",
            "email": user.email or "",
            "active": user.active,
        }
        body.update(changes)
        await self.http.request(
            "PUT", f"{API}/user", params={"username": user.name}, json=body, ok=(200, 204)
        )

    async def _update_user(self, item: PlanItem) -> None:
        unknown = sorted({c.field for c in item.changes} - USER_FIELDS)
        if unknown or not item.changes:
            valid = ", ".join(sorted(USER_FIELDS))
            raise BadRequestError(
                f"update_user of {item.subject}: a Crowd user has no field {unknown}; valid: {valid}"
            )
        user = await self._current(item)
        changes: dict[str, Any] = {}
        for change in item.changes:
            if change.field == "email":
                changes["email"] = str(change.new or "")
            else:
                display = str(change.new or "")
                changes["display-name"] = display
                old_first, old_last = user.first_name or "", user.last_name or ""
                derived = f"{old_first} {old_last}".strip() == (user.display_name or "").strip()
                if derived or not (old_first or old_last):
                    # first and last name followed the display name: they follow it again
                    changes["first-name"], changes["last-name"] = split_display_name(display)
        await self._put_user(user, **changes)

    async def _rename_user(self, item: PlanItem) -> None:
        old = item_username(item)
        new = _new_username(item.changes)
        if new is None:
            raise BadRequestError(f"rename_user of {item.subject} names no new username")
        if new == old:
            return
        response = await self.http.request(
            "POST", f"{API}/user/rename", params={"username": old}, json={"new-name": new}, ok=(200, 400, 409)
        )
        if response.status_code != 200:
            error = refine(response)
            if already_exists(response):
                raise ConflictError(str(error), status=response.status_code)
            raise error

    async def _delete_user(self, item: PlanItem) -> None:
        response = await self.http.request(
            "DELETE", f"{API}/user", params={"username": item_username(item)}, ok=(204, 404)
        )
        if response.status_code == 404 and not is_reason(response, "USER_NOT_FOUND"):
            raise refine(response)
        # 404 USER_NOT_FOUND: the user is gone already, which is the goal

    async def _set_attributes(self, item: PlanItem) -> None:
        username = item_username(item)
        for change in item.changes:
            name = change.field.removeprefix(PROPERTY_PREFIX)
            if change.new is None or change.new == "":
                response = await self.http.request(
                    "DELETE",
                    f"{API}/user/attribute",
                    params={"username": username, "attributename": name},
                    ok=(200, 204, 404),
                )
                if response.status_code == 404 and is_reason(response, "USER_NOT_FOUND"):
                    raise refine(response)
                # any other 404: the attribute is not set, which is the goal
            else:
                body = {"attributes": [{"name": name, "values": [str(change.new)]}]}
                await self.http.request(
                    "POST",
                    f"{API}/user/attribute",
                    params={"username": username},
                    json=body,
                    ok=(200, 201, 204),
                )

    # --- groups ----------------------------------------------------------------------------------

    async def _create_group(self, item: PlanItem) -> None:
        body = {"name": item_group(item), "type": "GROUP", "active": True, "description": ""}
        response = await self.http.request("POST", f"{API}/group", json=body, ok=(201, 400, 409))
        if response.status_code != 201 and not already_exists(response):
            raise refine(response)
        # "Group <x> already exists": someone created it since the plan was made; the goal is reached

    async def _add_member(self, item: PlanItem) -> None:
        response = await self.http.request(
            "POST",
            f"{API}/group/user/direct",
            params={"groupname": item_group(item)},
            json={"name": item_username(item)},
            ok=(201, 204, 400, 404, 409),
        )
        if response.status_code in (400, 404, 409) and not already_exists(response):
            # 400 USER_NOT_FOUND (Crowd's status for a missing user here) becomes a NotFoundError
            raise refine(response)

    async def _remove_member(self, item: PlanItem) -> None:
        response = await self.http.request(
            "DELETE",
            f"{API}/group/user/direct",
            params={"groupname": item_group(item), "username": item_username(item)},
            ok=(200, 204, 404),
        )
        if response.status_code == 404 and not is_reason(response, "MEMBERSHIP_NOT_FOUND"):
            raise refine(response)
        # 404 MEMBERSHIP_NOT_FOUND: not a member, which is the goal


def _new_username(changes: tuple[Change, ...]) -> str | None:
    for change in changes:
        if change.field in ("username", "name") and isinstance(change.new, str) and change.new:
            return change.new
    return None
