"""The membership half of the diff: create missing groups, add missing members, remove members
the rules no longer put there.

Desired members of a managed group are the desired users that will exist in the target after the
plan, under the username they will have then. Current members (read as lower-case usernames) are
mapped across the plan's renames before comparing, so a rename never shows up as remove + add.
Removal follows `groups.keep_existing_memberships`: true → only users idsync links and that are in
scope (it never touches memberships it does not manage; users who left the scope are handled by
`when_removed` instead); false → idsync is authoritative and removes every other member. Protected
users and users in a dispute are never touched. A single-user run plans only that user's memberships;
on a target that reports the user's groups it also removes the user from managed groups they left
(the snapshot does not name those: `GroupRule` tells them from the target group's name).

Default groups for new users (`default_groups.new_users`) are granted once, when idsync creates the
user, and the link remembers the grant. From then on the membership is desired state, not drift:
idsync never removes it, in either removal mode, even when the group is also managed by the mapping
and the user is in no source group that maps to it. A grant whose add failed stays pending and is
added by the next run. When the membership is gone from the target (an admin removed it, or the group
was deleted) the grant lapses: idsync does not give it back, and the group's other rules apply again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, KeysView
from dataclasses import replace

from idsync.domain import collector
from idsync.domain.plan import Action, Change
from idsync.domain.records import Link, Reason
from idsync.engine.diff_context import DiffContext, Situation, UserVerdict
from idsync.rules.groups import NEW_USERS_REASON

_MOVED = Reason("groups.rename", "member of the group this one replaces (renamed in the source): moved, "
                "so deleting the old group loses no membership")
_IN_TARGET = (Situation.UNCHANGED, Situation.UPDATED, Situation.CLAIMED, Situation.CREATED)


def plan_memberships(ctx: DiffContext, verdicts: list[UserVerdict]) -> None:
    """Append CREATE_GROUP, ADD_MEMBER and REMOVE_MEMBER items for the managed groups, with the cyclic
    garbage collector paused (`rules.collector`: the items are kept)."""
    with collector.paused():
        _plan_memberships(ctx, verdicts)


def _plan_memberships(ctx: DiffContext, verdicts: list[UserVerdict]) -> None:
    expected: dict[str, dict[str, UserVerdict]] = defaultdict(dict)
    # only the groups read are diffed (the others are left alone, below): a run between full reads
    # reads a few of a thousand
    diffed = ctx.desired.groups.keys() & ctx.state.groups.keys()
    managed: dict[str, UserVerdict] = {}
    # who is expected in which group, and who is managed, matter only for the groups diffed: none in
    # most runs between full reads, whose every group is left as recorded (the diff of a no-op run of
    # 150,000 people, offline, three runs each: 0.66-0.76 s against 0.74-0.84 s folding and looking up
    # everyone's names for nothing)
    for verdict in verdicts if diffed else ():
        if verdict.situation not in _IN_TARGET or verdict.name_after is None:
            continue
        # folded once per person, not once per membership: a new string each time, 750,000 of them
        # alive until the groups are diffed at 150,000 people
        folded = ctx.fold(verdict.name_after)
        if verdict.situation is not Situation.CREATED:
            managed[folded] = verdict
        for group_name in verdict.user.groups.keys() & diffed:
            expected[group_name][folded] = verdict
    # A single-user run may touch only that user's memberships: none at all when the user will not be
    # in the target (absent, protected, disputed), never "everyone's" for want of a name.
    single = {ctx.fold(v.name_after) for v in verdicts if v.name_after} \
        if ctx.desired.single_user is not None else None
    keep_existing = ctx.profile.groups.keep_existing_memberships
    created_groups: set[str] = set()
    held = _granted_members(ctx)

    for name in sorted(ctx.desired.groups):
        group = ctx.desired.groups[name]
        wanted = expected.get(name, {})
        if name not in ctx.state.groups:
            ctx.notes.append(f"group {name!r} was not read from {ctx.target}: its memberships are left alone")
            continue
        current = ctx.state.groups[name]
        moved: frozenset[str] = frozenset()
        if current is None and ctx.desired.single_user is None:
            current, moved = _renamed(ctx, name, created_groups)
        if current is None:
            if ctx.desired.single_user is not None and not wanted:
                continue
            if not group.create:
                ctx.notes.append(f"group {name!r} does not exist in {ctx.target} and groups.create_missing "
                                 "is off: its memberships are not synced")
                continue
            ctx.add(Action.CREATE_GROUP, Reason("groups.create_missing", f"{group.reason.detail}; "
                    f"{ctx.target} has no group {name!r}"), group=name, source_id=group.source_id)
            created_groups.add(ctx.fold(name))
            current = frozenset()
        members = _all_after_plan(ctx, current)
        for member in sorted(set(wanted) - members):
            verdict = wanted[member]
            ctx.add(Action.ADD_MEMBER, verdict.user.groups[name], user=verdict.name_after,
                    user_key=verdict.key, source_id=verdict.user.source_id, group=name)
        for member in sorted(moved - set(wanted) - members):
            if not keep_existing or member in managed or member in ctx.hands_off:
                continue  # one the rules would remove (or must not touch) is not moved: only others' members
            known = managed.get(member)
            ctx.add(Action.ADD_MEMBER, _MOVED, user=member, group=name,
                    user_key=known.key if known else None, source_id=known.user.source_id if known else None)
        for member in sorted(members - set(wanted)):
            if member in ctx.hands_off:
                if ctx.is_protected(member):
                    ctx.notes.append(f"user {member!r} is protected (safety.protected_users): not removed "
                                     f"from {name!r}")
                continue
            if single is not None and member not in single:
                continue
            if member in held.get(name, ()):
                continue  # idsync granted it as a default group for new users: desired, never drift
            if keep_existing and member not in managed:
                continue
            reason = (Reason("groups.keep_existing_memberships", f"{member!r} is managed by idsync and no "
                             f"longer in a source group that maps to {name!r}") if keep_existing else
                      Reason("groups.authoritative", f"the rules do not put {member!r} in {name!r} and "
                             "groups.keep_existing_memberships is false"))
            known = managed.get(member)
            ctx.add(Action.REMOVE_MEMBER, reason, user=member, group=name,
                    user_key=known.key if known else None, source_id=known.user.source_id if known else None)

    _left_groups(ctx, verdicts, held)
    _new_user_groups(ctx, verdicts, created_groups)
    _grants(ctx, verdicts, created_groups)


def _renamed(
    ctx: DiffContext, name: str, created_groups: set[str]
) -> tuple[frozenset[str] | None, frozenset[str]]:
    """A managed group missing under its desired name that the target holds under an older name (the
    source group was renamed; the target stored its source id): (the members to diff against, the
    members to move). Renamed in place where the target can (RENAME_GROUP: its members stay); else
    replaced — created under the new name, every member moved, the old group deleted last
    (Atlassian Cloud cannot rename a group). (None, ∅) when there is no such group."""
    group = ctx.desired.groups[name]
    if group.source_id is None or not ctx.capabilities.group_sources:
        return None, frozenset()
    old = ctx.state.group_sources.get(group.source_id)
    if old is None or ctx.fold(old) == ctx.fold(name):
        return None, frozenset()
    old_members = ctx.state.groups.get(old)
    if old_members is None:
        ctx.notes.append(f"group {old!r} in {ctx.target} was made from the source group now mapped to "
                         f"{name!r}, but its members were not read: it is left alone")
        return None, frozenset()
    if old in ctx.desired.groups:
        return None, frozenset()  # the old name is still wanted (another source group maps to it)
    detail = f"the source group was renamed: {ctx.target} group {old!r} becomes {name!r}"
    if ctx.capabilities.group_rename:
        ctx.add(Action.RENAME_GROUP, Reason("groups.rename", detail), group=name,
                changes=(Change("name", old, name),), source_id=group.source_id)
        return old_members, frozenset()
    if not group.create:
        ctx.notes.append(f"{detail}, but {ctx.target} cannot rename groups and groups.create_missing is "
                         "off: nothing is changed")
        return None, frozenset()
    why = f"{detail}; {ctx.target} cannot rename groups: created under the new name, members moved, " \
          f"{old!r} deleted"
    ctx.add(Action.CREATE_GROUP, Reason("groups.rename", why), group=name, source_id=group.source_id)
    ctx.add(Action.DELETE_GROUP, Reason("groups.rename", why), group=old,
            changes=(Change("name", old, name),), source_id=group.source_id)
    created_groups.add(ctx.fold(name))
    return frozenset(), frozenset(_all_after_plan(ctx, old_members))


def _left_groups(ctx: DiffContext, verdicts: list[UserVerdict], held: dict[str, set[str]]) -> None:
    """Single-user run: remove the person from managed target groups they left in the source.

    The snapshot names only the groups the person is in now, so a group they left is not among the
    desired groups; the target reports the person's current groups instead (`TargetUser.groups`,
    targets with `Capabilities.user_groups`), and each one the group rules manage but that no longer
    holds the person is a removal, by the same rules as a full run. In a single-user run the person
    is linked or claimed and in scope, so idsync manages them under keep_existing_memberships too."""
    if ctx.desired.single_user is None:
        return
    verdict = next((v for v in verdicts if v.user.source_id == ctx.desired.single_user), None)
    if verdict is None or verdict.name_after is None or verdict.key is None \
            or verdict.situation not in _IN_TARGET or verdict.situation is Situation.CREATED:
        return
    existing = ctx.state.users.get(verdict.key)
    if existing is None or existing.groups is None:
        return
    member = ctx.fold(verdict.name_after)
    if member in ctx.hands_off:
        return
    desired_groups = {ctx.fold(name) for name in ctx.desired.groups}
    granted = {ctx.fold(group) for group, holders in held.items() if member in holders}
    keep_existing = ctx.profile.groups.keep_existing_memberships
    for name in sorted(existing.groups):
        if ctx.fold(name) in desired_groups or ctx.fold(name) in granted:
            continue  # diffed with the desired groups above / idsync's own grant: desired, never drift
        if not ctx.desired.group_rule.manages(name):
            continue
        who = verdict.name_after
        reason = (Reason("groups.keep_existing_memberships", f"{who!r} is managed by idsync and no longer "
                         f"in a source group that maps to {name!r} (single-user sync)") if keep_existing else
                  Reason("groups.authoritative", f"the rules do not put {who!r} in {name!r}: no longer in a "
                         "source group that maps to it (single-user sync)"))
        ctx.add(Action.REMOVE_MEMBER, reason, user=verdict.name_after, group=name, user_key=verdict.key,
                source_id=verdict.user.source_id)


def _after_plan(ctx: DiffContext, username: str) -> str:
    """A current username as the target will know it after this plan's renames (casefolded)."""
    return ctx.renames.get(ctx.fold(username), ctx.fold(username))


def _all_after_plan(ctx: DiffContext, usernames: Iterable[str]) -> set[str]:
    """`_after_plan` of every name, folded in C: a group read may hold everyone (an on-the-fly
    Everyone of 150,000 people, read whenever someone joins or leaves the org: 0.026-0.035 s for its
    names against 0.050-0.058 s folding each twice in Python)."""
    folded = usernames if ctx.capabilities.case_sensitive_names else map(str.casefold, usernames)
    renames = ctx.renames
    if not renames:
        return set(folded)
    return {renames.get(name, name) for name in folded}


def _holds_grant_in(link: Link, read: KeysView[str]) -> bool:
    """Whether `link` holds a grant, confirmed or pending, of one of the groups `read`: two tests in C,
    asked of every link (at 150,000 people most hold a grant of a default group that is not read)."""
    return not (read.isdisjoint(link.granted_groups) and read.isdisjoint(link.pending_groups))


def _granted_members(ctx: DiffContext) -> dict[str, set[str]]:
    """Group name → casefolded usernames (after renames) holding it as a grant of idsync's own."""
    held: dict[str, set[str]] = defaultdict(set)
    # A run of everyone asks only about the groups it read (a run between full reads reads a few of
    # thousands, and 150,000 people mostly hold the same default group); a single-user run also about
    # the person's other target groups (`_left_groups`).
    read = ctx.state.groups.keys() if ctx.desired.single_user is None else None
    if read is not None and not read:
        return held  # no group read (most runs between full reads): no link to visit
    for link in ctx.links.values():
        if read is not None and not _holds_grant_in(link, read):
            continue
        name: str | None = None
        for group in (*link.granted_groups, *link.pending_groups):
            if read is None or group in read:
                name = name or _after_plan(ctx, link.username)
                held[group].add(name)
    return held


def _grants(ctx: DiffContext, verdicts: list[UserVerdict], created_groups: set[str]) -> None:
    """Grant bookkeeping of linked users: a pending grant is added (or, found in place, confirmed);
    a confirmed grant whose membership is gone from the target lapses."""
    # Only links holding a grant of a group read this run: for the others nothing is known and nothing
    # changes (as below, per group). Picked out before anything is sorted or built: between full reads
    # the groups read are a few of thousands, and at 150,000 people nearly everyone holds a grant of a
    # default group that is not read (the diff of a no-op run of 150,000 people: 0.70-0.82 s instead of
    # 1.05-1.09 with this and the same test in `_granted_members`).
    read = ctx.state.groups.keys()
    single = ctx.desired.single_user
    touched = sorted(
        source_id for source_id, link in ctx.links.items()
        if (single is None or source_id == single) and _holds_grant_in(link, read)
    ) if read else []
    if not touched:
        return
    in_target = {v.user.source_id: v for v in verdicts if v.situation in _IN_TARGET and v.name_after}
    # (source id, group) of the planned additions, built only when a grant is missing from its group:
    # an initial sync of 150,000 people plans 920,000 additions, and a set of them all cost ~95 MB
    planned: set[tuple[str | None, str | None]] | None = None
    after: dict[str, set[str]] = {}
    """Group → its members under their names after the plan, built once per group (not per user)."""
    for source_id in touched:
        link = ctx.links[source_id]
        name = _after_plan(ctx, link.username)
        granted, pending = set(link.granted_groups), set(link.pending_groups)
        for group in sorted(granted | pending):
            if group not in ctx.state.groups:
                continue  # not read this run: nothing known, nothing changes
            members = ctx.state.groups[group]
            if members is None and ctx.fold(group) not in created_groups:
                granted.discard(group)  # the group was deleted in the target: the grant lapses
                pending.discard(group)
                continue
            current = after.get(group)
            if current is None:
                current = after[group] = _all_after_plan(ctx, members or ())
            if name in current:
                if group in pending:
                    pending.discard(group)
                    granted.add(group)
                continue
            if group in link.licence_groups:
                continue  # idsync itself took it away with the licence: given back on return
            if group in granted:
                granted.discard(group)  # removed in the target since: respected, not given back
                continue
            verdict = in_target.get(source_id)
            if verdict is None or name in ctx.hands_off:
                continue
            if planned is None:
                planned = {(i.source_id, i.group) for i in ctx.items if i.action is Action.ADD_MEMBER}
            if (source_id, group) not in planned:
                ctx.add(Action.ADD_MEMBER, Reason(NEW_USERS_REASON.rule, f"granted when idsync created "
                        f"{name!r}; not in place yet"), user=verdict.name_after,
                        user_key=verdict.key, source_id=source_id, group=group)
        if granted != link.granted_groups or pending != link.pending_groups:
            ctx.update_link(link, granted_groups=frozenset(granted), pending_groups=frozenset(pending))


def _new_user_groups(ctx: DiffContext, verdicts: list[UserVerdict], created_groups: set[str]) -> None:
    created = [v for v in verdicts if v.situation is Situation.CREATED and v.name_after]
    if not created:
        return
    for name, reason in sorted(ctx.desired.new_user_groups.items()):
        if name not in ctx.desired.groups and ctx.fold(name) not in created_groups \
                and name not in ctx.state.existing_groups:  # read for its existence alone: it exists
            if name not in ctx.state.groups:
                ctx.notes.append(f"default group {name!r} was not read from {ctx.target}: new users are "
                                 "not added to it")
                continue
            if ctx.state.groups[name] is None:
                if not ctx.profile.groups.create_missing:
                    ctx.notes.append(f"default group {name!r} does not exist in {ctx.target} and "
                                     "groups.create_missing is off: new users are not added to it")
                    continue
                ctx.add(Action.CREATE_GROUP, Reason("groups.create_missing", f"{reason.detail}; "
                        f"{ctx.target} has no group {name!r}"), group=name)
                created_groups.add(ctx.fold(name))
        for verdict in created:
            if name in verdict.user.groups:
                continue  # added as a managed membership already
            ctx.add(Action.ADD_MEMBER, reason, user=verdict.name_after, source_id=verdict.user.source_id,
                    group=name)
    _stamp_grants(ctx, {v.user.source_id for v in created})


def _stamp_grants(ctx: DiffContext, created: set[str]) -> None:
    """Record on each CREATE_USER item which default groups for new users this plan adds the user to,
    so the link remembers them as granted (or pending, should the add fail)."""
    defaults = set(ctx.desired.new_user_groups)
    added: dict[str, set[str]] = defaultdict(set)
    creations: list[int] = []
    add, create = Action.ADD_MEMBER, Action.CREATE_USER
    for index, item in enumerate(ctx.items):
        action = item.action
        if action is add and item.source_id in created and item.group in defaults:
            added[item.source_id].add(item.group)
        elif action is create:
            creations.append(index)
    for index in creations:
        item = ctx.items[index]
        if item.source_id in added:
            ctx.items[index] = replace(item, grants=tuple(sorted(added[item.source_id])))
