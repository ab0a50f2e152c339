"""Confluence's JSON shapes: Person (a known user), Group, long-task status. Rendering only.

Person as Atlassian's REST documentation shows it; `status` comes with `expand=status` as "Active" or
"Deactivated" (the vendor documentation does not pin the literal; those are the words
atlassian-python-api documents), the
email with `expand=details.personal` under `details.personal.email` (from memory of real servers:
unverified; the emulator shows it to every caller, as an instance without email privacy does).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from urllib.parse import quote

from idsync.sandbox.atlassian.confluence.state import ConfluenceGroup, ConfluenceUser, LongTask
from idsync.sandbox.atlassian.confluence.web import API

_PICTURE = {"path": "/images/icons/profilepics/default.svg", "width": 48, "height": 48, "isDefault": True}


def person(base: str, user: ConfluenceUser, expand: Set[str] = frozenset()) -> dict[str, Any]:
    """A known user, with `status` and `details.personal` when expanded."""
    bean: dict[str, Any] = {
        "type": "known",
        "username": user.name,
        "userKey": user.key,
        "profilePicture": _PICTURE,
        "displayName": user.display_name,
        "_links": {"self": f"{base}{API}/user?key={user.key}"},
    }
    expandable: dict[str, str] = {}
    if "status" in expand:
        bean["status"] = "Active" if user.active else "Deactivated"
    else:
        expandable["status"] = ""
    if "details.personal" in expand or "details" in expand:
        bean["details"] = {"personal": {"email": user.email}}
    else:
        expandable["details"] = ""
    expandable["operations"] = ""
    bean["_expandable"] = expandable
    return bean


def anonymous(base: str) -> dict[str, Any]:
    """What `/user/current` answers to an anonymous caller."""
    return {"type": "anonymous", "profilePicture": _PICTURE, "displayName": "Anonymous",
            "_links": {"self": f"{base}{API}/user/anonymous"}}  # fmt: skip


def group_bean(base: str, group: ConfluenceGroup) -> dict[str, Any]:
    """A group."""
    return {"type": "group", "name": group.name,
            "_links": {"self": f"{base}{API}/group/{quote(group.name, safe='')}"}}  # fmt: skip


def task_status(task: LongTask, elapsed_ms: int) -> dict[str, Any]:
    """`GET /rest/api/longtask/{id}`. Atlassian documents the fields but not the shape of a message;
    the emulator sends each as `{"translation": text, "args": []}` (the form Confluence's long-task
    messages take in its REST model, from memory: unverified), so clients must accept more than strings."""
    return {
        "id": task.id,
        "name": {"key": "com.atlassian.confluence.user.remove", "args": [task.username]},
        "elapsedTime": elapsed_ms,
        "percentageComplete": 100 if task.finished else 50,
        "successful": task.successful,
        "finished": task.finished,
        "messages": [{"translation": text, "args": []} for text in task.messages],
    }
