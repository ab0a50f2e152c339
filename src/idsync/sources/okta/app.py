"""App-scoped Okta reads (`app_id`): the people and groups one Okta app is assigned.

The app's users (`GET /api/v1/apps/{id}/users?expand=user`) and groups (`…/groups?expand=group`) and
those groups' members, all at once, bounded by the connection's concurrency; a user reached only
through an assigned group is in scope too (an app user's scope is USER or GROUP: both count). An
app's user list has no change filter, so these reads are always full.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any
from urllib.parse import quote

from idsync.sources.okta.models import AppGroup, AppUser, OktaUser
from idsync.sources.okta.reader import Bars, GroupRead, OktaReader, keep_newest


async def read_app(
    reader: OktaReader, app_id: str, bars: Bars
) -> tuple[dict[str, OktaUser], dict[str, GroupRead]]:
    """The app's users and groups with their members (see the module docstring)."""
    users: dict[str, OktaUser] = {}
    unexpanded: set[str] = set()
    groups: dict[str, GroupRead] = {}
    queue: asyncio.Queue[AppGroup | None] = asyncio.Queue()
    workers = reader.conn.concurrency
    app_path = f"/api/v1/apps/{quote(app_id, safe='')}"

    def take_app_users(page: list[Any]) -> None:
        for obj in page:
            # An app user's scope is USER (assigned directly) or GROUP (through an assigned group):
            # both count.
            app_user = AppUser.parse(obj)
            if app_user.user is not None:
                keep_newest(users, app_user.user)
            else:
                unexpanded.add(app_user.id)
        bars.users.advance(len(page))

    seen_groups: set[str] = set()

    def take_app_groups(page: list[Any]) -> None:
        for obj in page:
            app_group = AppGroup.parse(obj)
            if app_group.id not in seen_groups:
                seen_groups.add(app_group.id)
                queue.put_nowait(app_group)
        bars.groups.advance(len(page))

    async def list_app_groups() -> None:
        try:
            params = {"limit": reader.conn.app_groups_page_size, "expand": "group"}
            await reader.listing(
                f"group list of app {app_id}",
                f"{app_path}/groups",
                params,
                take_app_groups,
                label="/api/v1/apps/{id}/groups",
            )
            bars.members.set_total(len(seen_groups))
        finally:
            for _ in range(workers):
                queue.put_nowait(None)

    async def read_members() -> None:
        while (app_group := await queue.get()) is not None:
            group = app_group.group or await reader.group(app_group.id)
            members = await reader.members_as_users(group)
            for member in members:
                keep_newest(users, member)
            groups[group.id] = (group, frozenset(m.id for m in members))
            bars.members.advance()

    async with asyncio.TaskGroup() as tasks:
        params = {"limit": reader.conn.app_users_page_size, "expand": "user"}
        tasks.create_task(
            reader.listing(
                f"user list of app {app_id}",
                f"{app_path}/users",
                params,
                take_app_users,
                label="/api/v1/apps/{id}/users",
            )
        )
        tasks.create_task(list_app_groups())
        for _ in range(workers):
            tasks.create_task(read_members())
    # Only when an app user came without `_embedded.user` (expand unsupported) is a user fetched
    # on its own; with expand working this list is empty.
    missing = sorted(unexpanded - users.keys())
    slots = asyncio.Semaphore(workers)

    async def fetch(user_id: str) -> None:
        async with slots:
            users[user_id] = await reader.user(user_id, f"user {user_id} of app {app_id}")

    async with asyncio.TaskGroup() as tasks:
        for user_id in missing:
            tasks.create_task(fetch(user_id))
    bars.users.set_total(len(users))
    return users, groups


async def app_group_ids(reader: OktaReader, app_id: str) -> set[str]:
    """The ids of the groups assigned to the app."""
    ids: set[str] = set()

    def take(page: list[Any]) -> None:
        ids.update(AppGroup.parse(obj).id for obj in page)

    await reader.listing(
        f"group list of app {app_id}",
        f"/api/v1/apps/{quote(app_id, safe='')}/groups",
        {"limit": reader.conn.app_groups_page_size},
        take,
        label="/api/v1/apps/{id}/groups",
    )
    return ids


async def assigned(reader: OktaReader, app_id: str, user_id: str) -> bool:
    """Whether the app's user list holds this user. Only the documented list endpoint is used
    (GET /api/v1/apps/{id}/users); the listing stops at the page that holds the user."""
    found = False
    page_number = 1
    params = {"limit": reader.conn.app_users_page_size}
    path = f"/api/v1/apps/{quote(app_id, safe='')}/users"
    with reader.failing(lambda: f"user list of app {app_id}, page {page_number}"):
        pages = reader.client.pages(path, params, label="/api/v1/apps/{id}/users")
        async with aclosing(pages):
            async for page in pages:
                if any(AppUser.parse(obj).id == user_id for obj in page):
                    found = True
                    break
                page_number += 1
    return found
