"""Crowd's JSON entities: User, Group, attribute lists and the user / group lists. Rendering only."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from idsync.sandbox.atlassian.crowd.state import CrowdGroup, CrowdUser
from idsync.sandbox.atlassian.crowd.web import API


def _link(href: str, rel: str = "self") -> dict[str, str]:
    return {"href": href, "rel": rel}


def user_link(base: str, user: CrowdUser) -> dict[str, str]:
    """The `self` link of a user resource."""
    return _link(f"{base}{API}/user?username={quote(user.name)}")


def attributes_entity(base: str, user: CrowdUser) -> dict[str, Any]:
    """`{"attributes": [{"name", "values", "link"}], "link"}` of a user, by attribute name."""
    href = f"{base}{API}/user/attribute?username={quote(user.name)}"
    return {
        "attributes": [
            {"link": _link(f"{href}&attributename={quote(name)}"), "name": name, "values": list(values)}
            for name, values in sorted(user.attributes.items())
        ],
        "link": _link(href),
    }


def user_entity(base: str, user: CrowdUser, with_attributes: bool = False) -> dict[str, Any]:
    """A User as GET /user returns it. Without `expand=attributes` the attribute list is left out
    (only its link is given), so a client cannot mistake "not expanded" for "no attributes"."""
    entity: dict[str, Any] = {
        "expand": "attributes",
        "link": user_link(base, user),
        "name": user.name,
        "password": {"link": _link(f"{base}{API}/user/password?username={quote(user.name)}", "edit")},
        "key": user.key,
        "active": user.active,
        "first-name": user.first_name,
        "last-name": user.last_name,
        "display-name": user.display_name,
        "email": user.email,
    }
    if with_attributes:
        entity["attributes"] = attributes_entity(base, user)
    else:
        entity["attributes"] = {"link": attributes_entity(base, user)["link"]}
    return entity


def group_link(base: str, name: str) -> dict[str, str]:
    """The `self` link of a group resource."""
    return _link(f"{base}{API}/group?groupname={quote(name)}")


def group_entity(base: str, group: CrowdGroup, with_attributes: bool = False) -> dict[str, Any]:
    """A Group as GET /group returns it (this emulator keeps no group attributes)."""
    attrs_link = _link(f"{base}{API}/group/attribute?groupname={quote(group.name)}")
    return {
        "expand": "attributes",
        "link": group_link(base, group.name),
        "name": group.name,
        "description": group.description,
        "type": "GROUP",
        "active": group.active,
        "attributes": {"attributes": [], "link": attrs_link} if with_attributes else {"link": attrs_link},
    }


def user_list(base: str, users: list[CrowdUser], expand: set[str]) -> dict[str, Any]:
    """`{"expand": "user", "users": [...]}`: names and links only unless `expand=user`."""
    if "user" in expand:
        items = [user_entity(base, u, "attributes" in expand) for u in users]
    else:
        items = [{"link": user_link(base, u), "name": u.name} for u in users]
    return {"expand": "user", "users": items}


def group_list(base: str, groups: list[CrowdGroup], expand: set[str]) -> dict[str, Any]:
    """`{"expand": "group", "groups": [...]}`: names and links only unless `expand=group`."""
    if "group" in expand:
        items = [group_entity(base, g, "attributes" in expand) for g in groups]
    else:
        items = [{"link": group_link(base, g.name), "name": g.name} for g in groups]
    return {"expand": "group", "groups": items}
