"""Carrying out one plan item against Jira REST v2: which call, which body, which answers mean done.

Idempotent outcomes are successes here, because the state they aim at is reached: adding a member
who is already one, removing one who is not, creating a group that exists, deleting a property that
is not set. A user that exists when we try to create it is a ConflictError (the diff must claim it
instead, so the link row gets written). Everything else raises the error the HttpClient mapped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from idsync.domain.errors import BadRequestError, ConflictError
from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.records import SeatPool
from idsync.http import HttpClient, WireResponse, error_for
from idsync.targets.atlassian import item_group, item_username, mapped_fields
from idsync.targets.jira.client import API, JiraUser, describe_jira, error_parts

USER_FIELDS: Mapping[str, str] = {
    "username": "name",
    "name": "name",
    "email": "emailAddress",
    "emailAddress": "emailAddress",
    "display_name": "displayName",
    "displayName": "displayName",
    "active": "active",
}
"""Change.field (as the diff names it) → UserWriteBean field of PUT /user."""

PROPERTY_PREFIX = "property:"
"""A SET_USER_PROPERTY change names the property key, optionally as `property:<key>`."""

_ALREADY = re.compile(r"already", re.IGNORECASE)
_NOT_MEMBER = re.compile(r"not\s+(a\s+)?member", re.IGNORECASE)


class JiraWriter:
    """Maps each Action to its Jira call (the apply engine owns order, concurrency and outcomes).

    Once the target has read the application roles (`created_with`), a user is created with
    `applicationKeys` naming the roles selected by default whose default groups the plan puts the user
    into anyway (`PlanItem.grants`: the default groups for new users). Jira puts a user created with a
    role into the role's default groups (documented for application access), so an ADD_MEMBER into one of
    those groups, of a user this writer created, is done without a request. Before, each new user's
    default group (`default_groups.new_users: [jira-software-users]`) cost a POST /group/user that Jira
    refused as "already a member": in bench/sync_okta_jira.py's initial sync, 8,789 of 212,780 requests at
    10,000 people, and 131,912 of 1,197,047 at 150,000 (an initial sync of 418.8 s, against 444-469 s in
    four runs earlier the same day). A creation that names no role sends no `applicationKeys`, as before:
    Jira is then assumed to give the roles selected by default (docs/vendors/jira.md), and the seat count
    counts them either way."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self._pools: tuple[SeatPool, ...] = ()
        self._by_grants: dict[tuple[str, ...], tuple[list[str], frozenset[str]]] = {}
        """A creation's grants → the role keys it is created with and the groups it joins by them,
        worked out once per distinct grants: nearly every creation of a run has the same, so the users
        in `_created` share one set (131,912 of them in the 150k bench)."""
        self._created: dict[str, frozenset[str]] = {}
        """Case-folded username of a user this writer created with roles → the groups it joined so."""

    def created_with(self, pools: Sequence[SeatPool]) -> None:
        """The roles read with the target's state; a user created from now on gets those selected by
        default (pools with `joined_on_create`) whose default groups are all among the default groups
        for new users the plan gives them (`PlanItem.grants`), so that the creation puts them into no
        group the plan does not."""
        self._pools = tuple(pool for pool in pools if pool.joined_on_create)
        self._by_grants = {}

    def _roles_for(self, grants: tuple[str, ...]) -> tuple[list[str], frozenset[str]]:
        known = self._by_grants.get(grants)
        if known is None:
            folded = {group.casefold() for group in grants}
            given = [pool for pool in self._pools if pool.joined_on_create <= folded]
            joined = frozenset().union(*(pool.joined_on_create for pool in given))
            known = self._by_grants[grants] = (sorted(pool.key for pool in given), joined)
        return known

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out `item`; return the user key for CREATE_USER and LINK_USER, else None."""
        match item.action:
            case Action.CREATE_USER:
                return await self._create_user(item)
            case Action.LINK_USER:
                return item.user_key  # claiming writes only our link row, nothing in Jira
            case Action.UPDATE_USER:
                await self._update_user(item, _user_body(item.changes, exclude={"name", "active"}))
            case Action.RENAME_USER:
                await self._rename_user(item)
            case Action.DEACTIVATE_USER:
                # a JSON boolean, which Jira accepts; that it also takes the string "false"
                # atlassian-python-api sends is only implied by that library
                await self._update_user(item, {"active": False})
            case Action.REACTIVATE_USER:
                await self._update_user(item, {"active": True})
            case Action.DELETE_USER:
                await self.http.request(
                    "DELETE", f"{API}/user", params=_user_param(item), ok=(200, 204), label=f"{API}/user"
                )
            case Action.SET_USER_PROPERTY:
                await self._set_properties(item)
            case Action.CREATE_GROUP:
                await self._create_group(item)
            case Action.ADD_MEMBER:
                await self._add_member(item)
            case Action.REMOVE_MEMBER:
                await self._remove_member(item)
            case Action.HAND_OVER_LEAD:
                await self._hand_over_lead(item)
        return None

    async def _create_user(self, item: PlanItem) -> str:
        username = item_username(item)
        body: dict[str, Any] = {"name": username}
        body.update(_user_body(item.changes, exclude={"name", "active"}))
        roles, joined = self._roles_for(item.grants) if self._pools and item.grants else ([], frozenset())
        if roles:
            body["applicationKeys"] = roles
        # No password: Jira generates a random one. No "notification": Jira does not email by default.
        response = await self.http.request("POST", f"{API}/user", json=body, ok=(201, 400))
        if response.status_code == 400:
            _, errors = error_parts(response)
            mapped = error_for(response, describe_jira)
            if "username" in errors and _ALREADY.search(errors["username"]):
                raise ConflictError(str(mapped), status=400)
            raise mapped
        key = JiraUser.model_validate_json(response.content).key
        if roles:
            self._created[username.casefold()] = joined
        return key

    async def _update_user(self, item: PlanItem, body: dict[str, Any]) -> None:
        if not body:
            raise BadRequestError(f"{item.action} of {item.subject}: the item changes no Jira user field")
        await self.http.request("PUT", f"{API}/user", params=_user_param(item), json=body, ok=(200,))

    async def _rename_user(self, item: PlanItem) -> None:
        new = _new_username(item)
        params = _user_param(item)
        if "key" not in params:
            # without the key, address the user by the old name the change records
            old = next((c.old for c in item.changes if USER_FIELDS.get(c.field) == "name"), None)
            if not isinstance(old, str) or not old:
                raise BadRequestError(f"rename_user of {item.subject} has neither a user key nor an old name")
            params = {"username": old}
        await self.http.request("PUT", f"{API}/user", params=params, json={"name": new}, ok=(200,))

    async def _set_properties(self, item: PlanItem) -> None:
        username = item_username(item)
        for change in item.changes:
            key = change.field.removeprefix(PROPERTY_PREFIX)
            url = f"{API}/user/properties/{quote(key, safe='')}"
            label = f"{API}/user/properties/{{key}}"
            if change.new is None or change.new == "":
                # 404: not set, which is already the desired state
                await self.http.request(
                    "DELETE", url, params={"username": username}, ok=(200, 204, 404), label=label
                )
            else:
                # the property value is JSON; idsync stores its custom attributes as JSON strings
                await self.http.request(
                    "PUT",
                    url,
                    params={"username": username},
                    json=str(change.new),
                    ok=(200, 201, 204),
                    label=label,
                )

    async def _create_group(self, item: PlanItem) -> None:
        group = item_group(item)
        response = await self.http.request("POST", f"{API}/group", json={"name": group}, ok=(201, 400))
        if response.status_code == 400 and not _mentions(response, _ALREADY):
            raise error_for(response, describe_jira)
        # 400 "group exists": someone created it since the plan was made; the goal is reached

    async def _add_member(self, item: PlanItem) -> None:
        group, username = item_group(item), item_username(item)
        if self._created and group.casefold() in self._created.get(username.casefold(), ()):
            return  # this writer created the user with a role whose default group this is: a member
        response = await self.http.request(
            "POST",
            f"{API}/group/user",
            params={"groupname": group},
            json={"name": username},
            ok=(200, 201, 400),
        )
        if response.status_code == 400 and not _mentions(response, _ALREADY):
            raise error_for(response, describe_jira)
        # 400 "already a member" (Jira Cloud's wording; DC's is not documented): the goal is reached

    async def _remove_member(self, item: PlanItem) -> None:
        response = await self.http.request(
            "DELETE",
            f"{API}/group/user",
            params={"groupname": item_group(item), "username": item_username(item)},
            ok=(200, 204, 400, 404),
        )
        if response.status_code in (400, 404) and not _mentions(response, _NOT_MEMBER):
            raise error_for(response, describe_jira)
        # "not a member": the goal is reached

    async def _hand_over_lead(self, item: PlanItem) -> None:
        lead, new_lead = item.lead, item.new_lead
        if lead is None or not new_lead:
            raise BadRequestError(f"hand_over_lead item for {item.subject} names no role or no new lead")
        if lead.kind == "project":
            # the docs disagree on the success status, 200 (generated DC schema) or 201 (older Server
            # docs): both are accepted
            await self.http.request(
                "PUT",
                f"{API}/project/{quote(lead.id, safe='')}",
                json={"lead": new_lead},
                ok=(200, 201),
                label=f"{API}/project/{{key}}",
            )
        elif lead.kind == "component":
            await self.http.request(
                "PUT",
                f"{API}/component/{quote(lead.id, safe='')}",
                json={"leadUserName": new_lead},
                ok=(200, 201),
                label=f"{API}/component/{{id}}",
            )
        else:
            raise BadRequestError(f"unknown lead kind {lead.kind!r}; valid: 'project', 'component'")


def _mentions(response: WireResponse, pattern: re.Pattern[str]) -> bool:
    messages, errors = error_parts(response)
    return any(pattern.search(text) for text in [*messages, *errors.values()])


def _user_param(item: PlanItem) -> dict[str, str]:
    """Address a user by immutable key when known (survives renames), else by username."""
    if item.user_key:
        return {"key": item.user_key}
    return {"username": item_username(item)}


def _new_username(item: PlanItem) -> str:
    for change in item.changes:
        if USER_FIELDS.get(change.field) == "name" and isinstance(change.new, str) and change.new:
            return change.new
    return item_username(item)


def _user_body(changes: tuple[Change, ...], *, exclude: set[str]) -> dict[str, Any]:
    """The UserWriteBean fields of `changes` (only changed fields: Jira leaves the others alone)."""
    return mapped_fields(changes, USER_FIELDS, "a Jira user has no field {field!r}; valid: {valid}", exclude)
