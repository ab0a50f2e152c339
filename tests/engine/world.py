"""A plain in-memory target for diff tests: answers a StateQuery exactly as a target must (only what
was asked), and carries out plan items the way Jira would, so tests can apply a plan's effects and
diff again. Pure test data: it replaces no idsync code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from idsync.config.profiles import Profile
from idsync.domain.plan import Action, ItemResult, Outcome, PlanItem
from idsync.domain.records import (
    Capabilities,
    LeadRole,
    Link,
    SeatPool,
    Snapshot,
    StateQuery,
    TargetState,
    TargetUser,
)
from idsync.engine.diff import DiffResult, diff, state_query
from idsync.engine.links import updated_links
from idsync.rules.desired import desired_state

JIRA = Capabilities(user_properties=True, leads=True, user_groups=True)
SCIM = Capabilities(user_properties=True, group_sources=True)
"""A SCIM target: stores source group ids on groups (externalId) and renames groups in place."""
CLOUD = Capabilities(user_properties=True, group_sources=True, group_rename=False, max_users=150_000,
                     max_group_members=35_000)
"""Atlassian Cloud: cannot rename a group; users per directory and per group are limited."""
LEGACY = Capabilities(user_properties=True, leads=True)
"""A target that cannot report a user's groups (single-user runs keep their older behaviour)."""


@dataclass
class World:
    """Everything the target holds, plus idsync's link rows for it."""

    users: dict[str, TargetUser] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    leads: list[LeadRole] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    target: str = "jira"
    queries: list[StateQuery] = field(default_factory=list)
    external_ids: dict[str, str] = field(default_factory=dict)
    """Group name → the source group id stored on it (targets with Capabilities.group_sources)."""
    pools: tuple[SeatPool, ...] = ()
    """Licences with their seats left (targets with Capabilities.licence_seats), as a read reports them."""
    _next: int = 10000

    def add_user(self, username: str, email: str | None = None, display_name: str | None = None,
                 active: bool = True, groups: Iterable[str] = (), **properties: str) -> TargetUser:
        """Put a user in the target (as an admin would by hand) and return it."""
        self._next += 1
        user = TargetUser(f"JIRAUSER{self._next}", username, email, display_name, active, dict(properties))
        self.users[user.key] = user
        for name in groups:
            self.groups.setdefault(name, set()).add(username.lower())
        return user

    def by_name(self, username: str) -> TargetUser:
        """The target user with that username (case-insensitive)."""
        return next(u for u in self.users.values() if u.username.casefold() == username.casefold())

    def read(self, query: StateQuery) -> TargetState:
        """Exactly what a target returns for `query`."""
        self.queries.append(query)
        names = {n.casefold() for n in query.usernames}
        emails = {e.casefold() for e in query.emails}
        found = {
            u.key: replace(u, properties={k: u.properties.get(k) for k in query.property_keys})
            for u in self.users.values()
            if u.key in query.user_keys or u.username.casefold() in names
            or (u.email is not None and u.email.casefold() in emails)
        }
        member_of = {n.casefold() for n in query.member_of}
        for key, user in found.items():
            if user.username.casefold() in member_of:
                name = user.username.casefold()
                found[key] = replace(user, groups=frozenset(g for g, m in self.groups.items() if name in m))
        groups = {g: (frozenset(self.groups[g]) if g in self.groups else None) for g in query.groups}
        sources = {sid: name for name, sid in self.external_ids.items() if sid in query.group_sources}
        for name in sources.values():
            groups.setdefault(name, frozenset(self.groups[name]))
        if query.seats:
            found = {key: replace(user, seats=self._licences(user.username)) for key, user in found.items()}
        return TargetState(self.target, found, groups, tuple(self.leads) if query.leads else (),
                           group_sources=sources, user_count=len(self.users),
                           seats=self.pools if query.seats else ())

    def _licences(self, username: str) -> frozenset[str]:
        """The licences a user's groups give (a licence with no groups: every user)."""
        name = username.casefold()
        return frozenset(pool.key for pool in self.pools if not pool.groups or any(
            name in members for group, members in self.groups.items() if group.casefold() in pool.groups))

    def sync(self, snapshot: Snapshot, profile: Profile, caps: Capabilities = JIRA) -> DiffResult:
        """Rules → query → read → diff, as a run does (without applying)."""
        desired = desired_state(snapshot, profile)
        query = state_query(desired, self.links, profile, caps)
        return diff(desired, self.read(query), self.links, profile, caps)

    def apply(self, result: DiffResult, fail: Iterable[Action] = (),
              fail_indices: Iterable[int] = ()) -> list[ItemResult]:
        """Carry out the items in phase order (failing the actions in `fail` and the items at
        `fail_indices`), then update links."""
        failing, failing_items = set(fail), set(fail_indices)
        results: list[ItemResult] = []
        order = sorted(enumerate(result.items), key=lambda pair: (pair[1].action.phase, pair[0]))
        for index, item in order:
            if item.action in failing or index in failing_items:
                results.append(ItemResult(index, Outcome.FAILED, error="injected"))
                continue
            ok, key = self._execute(item)
            results.append(ItemResult(index, Outcome.APPLIED if ok else Outcome.FAILED, target_key=key,
                                      error=None if ok else "refused"))
        # As a run does: the diff's link bookkeeping first, then what the item outcomes change.
        for link in result.link_upserts:
            self.links[link.source_id] = link
        for sid in result.link_deletes:
            self.links.pop(sid, None)
        upserts, deletes = updated_links(result.items, results, self.links, self.target)
        for link in upserts:
            self.links[link.source_id] = link
        for sid in deletes:
            self.links.pop(sid, None)
        return results

    def _execute(self, item: PlanItem) -> tuple[bool, str | None]:
        wanted = (item.user or "").casefold()
        user = self.users.get(item.user_key or "") or next(
            (u for u in self.users.values() if u.username.casefold() == wanted), None)
        new = {c.field: c.new for c in item.changes}
        match item.action:
            case Action.CREATE_GROUP:
                self.groups[item.group or ""] = set()
                if item.source_id:
                    self.external_ids[item.group or ""] = item.source_id
            case Action.RENAME_GROUP:
                old = str(item.changes[0].old)
                self.groups[item.group or ""] = self.groups.pop(old)
                self.external_ids[item.group or ""] = self.external_ids.pop(old)
            case Action.DELETE_GROUP:
                del self.groups[item.group or ""]
                self.external_ids.pop(item.group or "", None)
            case Action.CREATE_USER:
                created = self.add_user(item.user or "", str(new.get("email") or "") or None,
                                        str(new.get("display_name") or "") or None)
                return True, created.key
            case Action.LINK_USER:
                return user is not None, None
            case Action.ADD_MEMBER:
                if user is None or item.group not in self.groups:
                    return False, None
                self.groups[item.group].add(user.username.lower())
            case Action.REMOVE_MEMBER:
                self.groups.get(item.group or "", set()).discard((item.user or "").lower())
            case Action.HAND_OVER_LEAD:
                successor = str(item.new_lead)
                self.leads = [replace(r, lead=successor) if r == item.lead else r for r in self.leads]
            case Action.DELETE_USER if user is not None:
                del self.users[user.key]
                for members in self.groups.values():
                    members.discard(user.username.lower())
            case _ if user is None:
                return False, None
            case Action.RENAME_USER:
                for members in self.groups.values():
                    if user.username.lower() in members:
                        members.discard(user.username.lower())
                        members.add(str(new["username"]).lower())
                self.users[user.key] = replace(user, username=str(new["username"]))
            case Action.UPDATE_USER:
                email = str(new["email"]) if "email" in new else user.email
                shown = str(new["display_name"]) if "display_name" in new else user.display_name
                self.users[user.key] = replace(user, email=email, display_name=shown)
            case Action.SET_USER_PROPERTY:
                props = dict(user.properties)
                for change in item.changes:
                    props[change.field] = None if change.new is None else str(change.new)
                self.users[user.key] = replace(user, properties=props)
            case Action.DEACTIVATE_USER:
                if any(r.lead.casefold() == user.username.casefold() for r in self.leads):
                    return False, None  # Jira refuses to deactivate a project / component lead
                self.users[user.key] = replace(user, active=False)
            case Action.REACTIVATE_USER:
                self.users[user.key] = replace(user, active=True)
        return True, None


def actions(result: DiffResult) -> list[tuple[str, str]]:
    """(action, subject) pairs, for compact assertions."""
    return [(item.action.value, item.subject) for item in result.items]
