"""Carrying out one plan item against Confluence: which call, which body, which answers mean done.

Idempotent outcomes are successes, because the state they aim at is reached: creating a group that
exists (409), disabling a disabled user, adding a member who is one, removing one who is not (the
membership calls are idempotent 204s), deleting a user who is already gone (404). A user that exists
when we try to create it is a ConflictError (the diff must claim it instead, so the link row gets
written). Creation past the licensed user count (402) is a BadRequestError that says so: retrying
cannot help. Users are addressed by username, which Confluence cannot change through REST, so the
username of the item is the one the user has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from idsync.domain.errors import BadRequestError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.http import HttpClient
from idsync.targets.atlassian import item_group, item_username, mapped_fields
from idsync.targets.confluence.client import API, CreatedUser, LongTaskSubmission, Person, describe_confluence
from idsync.targets.confluence.longtask import wait_for_task
from idsync.targets.confluence.quirks import create_username, full_name, initial_password
from idsync.targets.confluence.state import PERSON_EXPAND

USER_FIELDS: Mapping[str, str] = {
    "email": "email",
    "display_name": "fullName",
    "displayName": "fullName",
    "fullName": "fullName",
}
"""Change.field (as the diff names it) → field of the admin user endpoints."""

ADMIN_USER = f"{API}/admin/user/{{username}}"
MEMBERSHIP = f"{API}/user/{{username}}/group/{{groupName}}"


class ConfluenceWriter:
    """Maps each Action to its Confluence call (the apply engine owns order, concurrency, outcomes)."""

    def __init__(self, http: HttpClient, task_timeout: float) -> None:
        self.http = http
        self.task_timeout = task_timeout

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out `item`; return the user key for CREATE_USER and LINK_USER, else None."""
        match item.action:
            case Action.CREATE_USER:
                return await self._create_user(item)
            case Action.LINK_USER:
                return item.user_key  # claiming writes only our link row, nothing in Confluence
            case Action.UPDATE_USER:
                await self._update_user(item)
            case Action.DEACTIVATE_USER:
                await self._user_call("PUT", item, "/disable")
            case Action.REACTIVATE_USER:
                await self._user_call("PUT", item, "/enable")
            case Action.DELETE_USER:
                await self._delete_user(item)
            case Action.CREATE_GROUP:
                await self.http.request(
                    "POST", f"{API}/admin/group", json={"name": item_group(item)}, ok=(200, 201, 409)
                )  # 409: someone created it since the plan was made; the goal is reached
            case Action.ADD_MEMBER:
                await self._membership("PUT", item)
            case Action.REMOVE_MEMBER:
                await self._membership("DELETE", item)
            case _:
                raise BadRequestError(
                    f"{item.action} of {item.subject}: Confluence Data Center cannot do this "
                    "(no rename, no custom attributes, no leads, no licence groups through its REST API)"
                )
        return None

    async def _create_user(self, item: PlanItem) -> str:
        username = create_username(item_username(item))
        fields = {c.field: c.new for c in item.changes}
        body: dict[str, Any] = {
            "userName": username,
            "fullName": full_name(_text(fields.get("display_name")), username),
            "password": initial_password(),
            "notifyViaEmail": False,
        }
        if _text(fields.get("email")):
            body["email"] = fields["email"]
        response = await self.http.request("POST", f"{API}/admin/user", json=body, ok=(200, 201, 402))
        if response.status_code == 402:
            raise BadRequestError(
                f"create_user of {username}: Confluence has no licence seat left for a new user "
                f"({describe_confluence(response)}); free seats (disable or remove users) or extend "
                "the licence, then run again",
                status=402,
            )
        return CreatedUser.model_validate_json(response.content).user_key

    async def _update_user(self, item: PlanItem) -> None:
        body = _user_body(item.changes)
        if not body:
            raise BadRequestError(f"update_user of {item.subject}: the item changes no Confluence field")
        if set(body) != {"email", "fullName"}:
            # Whether Confluence clears a field the body leaves out is not documented (Atlassian's
            # example sends both), so the unchanged one is sent with its current value.
            response = await self.http.request(
                "GET", f"{API}/user", params={"username": item_username(item), "expand": PERSON_EXPAND},
                ok=(200,), label=f"{API}/user",
            )  # fmt: skip
            current = Person.model_validate_json(response.content)
            known = {"email": current.email, "fullName": current.display_name}
            body = {**{k: v for k, v in known.items() if v is not None}, **body}
        await self._user_call("PUT", item, "", json=body)

    async def _user_call(self, method: str, item: PlanItem, suffix: str, json: Any = None) -> None:
        url = f"{API}/admin/user/{quote(item_username(item), safe='')}{suffix}"
        await self.http.request(method, url, json=json, ok=(200, 204), label=f"{ADMIN_USER}{suffix}")

    async def _delete_user(self, item: PlanItem) -> None:
        username = item_username(item)
        url = f"{API}/admin/user/{quote(username, safe='')}"
        response = await self.http.request("DELETE", url, ok=(200, 202, 204, 404), label=ADMIN_USER)
        if response.status_code != 202:
            return  # 404: already gone, the goal is reached; 200/204: deleted at once
        submission = LongTaskSubmission.model_validate_json(response.content)
        await wait_for_task(
            self.http, submission, f"delete_user of {username}", wait_seconds=self.task_timeout
        )

    async def _membership(self, method: str, item: PlanItem) -> None:
        url = f"{API}/user/{quote(item_username(item), safe='')}/group/{quote(item_group(item), safe='')}"
        await self.http.request(method, url, ok=(200, 204), label=MEMBERSHIP)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _user_body(changes: tuple[Change, ...]) -> dict[str, Any]:
    """The admin-user fields of `changes` with their new values."""
    return mapped_fields(
        changes, USER_FIELDS, "a Confluence user has no field {field!r} idsync can write; valid: {valid}"
    )
