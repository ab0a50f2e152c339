"""Carrying out one plan item against Bitbucket REST 1.0: which call, which body, which answers mean done.

Users are addressed by username (`item.user`, the name the user has when the item runs). One item is
one membership, so ADD_MEMBER and RESTORE_LICENCE send `add-groups` with a single group; REMOVE_MEMBER
and REVOKE_LICENCE send `remove-group`. A licence is a membership of a licence-granting group, so
revoking and restoring it are those same calls.

Idempotent outcomes are successes, because the state they aim at is reached: creating a group that
exists (409), adding a membership that exists, removing one whose user or group is gone, deleting a
user that is gone. A user that exists when we try to create it is a ConflictError (the diff must claim
it instead, so the link row gets written). A seat refused past the licence limit is a BadRequestError
for that item alone. Everything else raises the error the HttpClient mapped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from idsync.domain.errors import BadRequestError, ConflictError, ConnectorError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.http import HttpClient, WireResponse, error_for
from idsync.targets.atlassian import item_group, item_username, mapped_fields
from idsync.targets.bitbucket.client import API, BitbucketUser, describe_bitbucket, exception_names, read_all
from idsync.targets.bitbucket.quirks import (
    ADD_TO_DEFAULT_GROUP,
    NO_DEACTIVATE,
    is_licence_limit,
    new_user_password,
)

USER_FIELDS: Mapping[str, str] = {
    "email": "email",
    "emailAddress": "email",
    "display_name": "displayName",
    "displayName": "displayName",
}
"""Change.field (as the diff names it) → the UserUpdate field of PUT /admin/users (it takes only
`name`, `displayName` and `email`)."""

_NAME_FIELDS = frozenset({"username", "name"})
_GONE = frozenset({"NoSuchUserException", "NoSuchGroupException"})


class BitbucketWriter:
    """Maps each Action to its Bitbucket call (the apply engine owns order, concurrency and outcomes)."""

    def __init__(self, http: HttpClient, page_size: int) -> None:
        self.http = http
        self.page_size = page_size

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out `item`; return the user key (id) for CREATE_USER and LINK_USER, else None."""
        match item.action:
            case Action.CREATE_USER:
                return await self._create_user(item)
            case Action.LINK_USER:
                return item.user_key  # claiming writes only our link row, nothing in Bitbucket
            case Action.UPDATE_USER:
                await self._update_user(item)
            case Action.RENAME_USER:
                await self._rename_user(item)
            case Action.DELETE_USER:
                await self._delete_user(item)
            case Action.CREATE_GROUP:
                await self.http.request("POST", f"{API}/admin/groups", params={"name": item_group(item)},
                                        ok=(200, 201, 409))  # fmt: skip
                # 409 "A group with this name already exists": the goal is reached
            case Action.ADD_MEMBER | Action.RESTORE_LICENCE:
                await self._add_to_group(item)
            case Action.REMOVE_MEMBER | Action.REVOKE_LICENCE:
                await self._remove_from_group(item)
            case Action.DEACTIVATE_USER | Action.REACTIVATE_USER:
                raise BadRequestError(f"{item.action} of {item.subject}: {NO_DEACTIVATE}")
            case _:
                raise BadRequestError(
                    f"{item.action} of {item.subject}: Bitbucket Data Center has no place for it "
                    "(no user properties, no project or component leads)"
                )
        return None

    async def _create_user(self, item: PlanItem) -> str:
        name = item_username(item)
        fields = {USER_FIELDS.get(c.field, c.field): c.new for c in item.changes}
        email = fields.get("email")
        if not isinstance(email, str) or not email:
            raise BadRequestError(f"create_user of {name}: Bitbucket needs an email address to create a user")
        display_name = fields.get("displayName")
        params = {
            "name": name,
            "displayName": display_name if isinstance(display_name, str) and display_name else name,
            "emailAddress": email,
            "password": new_user_password(),
            "addToDefaultGroup": ADD_TO_DEFAULT_GROUP,
            "notify": False,
        }
        response = await self.http.request(
            "POST", f"{API}/admin/users", params=params, ok=(200, 201, 204, 403, 409)
        )
        if response.status_code == 409:
            raise ConflictError(str(error_for(response, describe_bitbucket)), status=409)
        if response.status_code == 403:
            raise self._refused(item, response)
        # 204 without a body: the id has to be read back
        hits = await read_all(self.http, "/admin/users", BitbucketUser, self.page_size, {"filter": name})
        created = next((u for u in hits if u.name.lower() == name.lower()), None)
        if created is None:
            raise ConnectorError(
                f"create_user of {name}: Bitbucket answered 204 but the user cannot be found"
            )
        return str(created.id)

    async def _update_user(self, item: PlanItem) -> None:
        body: dict[str, Any] = {"name": item_username(item)}
        body.update(_user_body(item.changes))
        if len(body) == 1:
            raise BadRequestError(f"update_user of {item.subject}: the item changes no Bitbucket user field")
        await self.http.request("PUT", f"{API}/admin/users", json=body, ok=(200,))

    async def _rename_user(self, item: PlanItem) -> None:
        old = item_username(item)
        names = [c.new for c in item.changes if c.field in _NAME_FIELDS and isinstance(c.new, str) and c.new]
        new = names[0] if names else None
        if not isinstance(new, str):
            raise BadRequestError(f"rename_user of {old}: the item names no new username")
        await self.http.request(
            "POST", f"{API}/admin/users/rename", json={"name": old, "newName": new}, ok=(200,)
        )

    async def _delete_user(self, item: PlanItem) -> None:
        response = await self.http.request(
            "DELETE", f"{API}/admin/users", params={"name": item_username(item)}, ok=(200, 204, 404)
        )
        if response.status_code == 404 and "NoSuchUserException" not in exception_names(response):
            raise error_for(response, describe_bitbucket)
        # NoSuchUserException: already deleted, the goal is reached

    async def _add_to_group(self, item: PlanItem) -> None:
        response = await self.http.request(
            "POST",
            f"{API}/admin/users/add-groups",
            json={"user": item_username(item), "groups": [item_group(item)]},
            ok=(200, 204, 403),
        )
        if response.status_code == 403:
            raise self._refused(item, response)

    async def add_users(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        """ADD_MEMBER / RESTORE_LICENCE items of one group in one `add-users` request. Bitbucket
        refuses the whole request when one user is missing (404) or a seat is short (403): then each
        item is tried alone, so every item gets its own outcome and the others still land."""
        group = item_group(items[0])
        users = [item_username(item) for item in items]
        response = await self.http.request(
            "POST", f"{API}/admin/groups/add-users", json={"group": group, "users": users},
            ok=(200, 204, 403, 404),
        )  # fmt: skip
        if response.status_code in (200, 204):
            return [None] * len(items)
        if response.status_code == 403 and not is_licence_limit(response):
            raise error_for(response, describe_bitbucket)
        outcomes: list[str | Exception | None] = []
        for item in items:
            try:
                await self._add_to_group(item)
            except ConnectorError as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    async def _remove_from_group(self, item: PlanItem) -> None:
        response = await self.http.request(
            "POST",
            f"{API}/admin/users/remove-group",
            json={"context": item_username(item), "itemName": item_group(item)},
            ok=(200, 204, 404),
        )
        if response.status_code == 404 and not exception_names(response) & _GONE:
            raise error_for(response, describe_bitbucket)
        # no such user or group: there is no membership left to remove

    @staticmethod
    def _refused(item: PlanItem, response: WireResponse) -> ConnectorError:
        """A 403: past the licence limit it fails this item only; any other 403 stops the target."""
        if is_licence_limit(response):
            return BadRequestError(
                f"{item.action} of {item.subject}: Bitbucket's licensed-user limit is reached, so it refused "
                f"another seat ({describe_bitbucket(response)}); free a seat or raise the licence tier",
                status=403,
            )
        return error_for(response, describe_bitbucket)


def _user_body(changes: tuple[Change, ...]) -> dict[str, Any]:
    """The UserUpdate fields of `changes` (only changed fields: Bitbucket leaves the others alone)."""
    return mapped_fields(
        changes, USER_FIELDS, "a Bitbucket user has no updatable field {field!r}; valid: {valid}"
    )
