"""The membership half of the diff (R5): create missing groups, add missing members, remove members
the rules no longer put there.

Desired members of a managed group are the desired users that will exist in the target after the
plan, under the username they will have then. Current members (read as lower-case usernames) are
mapped across the plan's renames before comparing, so a rename never shows up as remove + add.
Removal follows `groups.keep_existing_memberships`: true → only users idsync links and that are in
scope (it never touches memberships it does not manage; users who left the scope are handled by
`when_removed` instead); false → idsync is authoritative and removes every other member. Protected
users and users in a dispute are never touched. New users also get `default_groups.new_users`, once,
with their creation. A single-user run plans only that user's memberships.
"""

from __future__ import annotations

from collections import defaultdict

from idsync.domain.plan import Action
from idsync.domain.records import Reason
from idsync.engine.diff_context import DiffContext, Situation, UserVerdict

_IN_TARGET = (Situation.UNCHANGED, Situation.UPDATED, Situation.CLAIMED, Situation.CREATED)


def plan_memberships(ctx: DiffContext, verdicts: list[UserVerdict]) -> None:
    """Append CREATE_GROUP, ADD_MEMBER and REMOVE_MEMBER items for the managed groups."""
    expected: dict[str, dict[str, UserVerdict]] = defaultdict(dict)
    for verdict in verdicts:
        if verdict.situation not in _IN_TARGET or verdict.name_after is None:
            continue
        for group_name in verdict.user.groups:
            if group_name in ctx.desired.groups:
                expected[group_name][verdict.name_after.casefold()] = verdict
    managed = {
        v.name_after.casefold(): v for v in verdicts
        if v.name_after is not None and v.situation in _IN_TARGET and v.situation is not Situation.CREATED
    }
    single = next((v.name_after.casefold() for v in verdicts if v.name_after), None) \
        if ctx.desired.single_user is not None else None
    keep_existing = ctx.profile.groups.keep_existing_memberships
    created_groups: set[str] = set()

    for name in sorted(ctx.desired.groups):
        group = ctx.desired.groups[name]
        wanted = expected.get(name, {})
        if name not in ctx.state.groups:
            ctx.notes.append(f"group {name!r} was not read from {ctx.target}: its memberships are left alone")
            continue
        current = ctx.state.groups[name]
        if current is None:
            if ctx.desired.single_user is not None and not wanted:
                continue
            if not group.create:
                ctx.notes.append(f"group {name!r} does not exist in {ctx.target} and groups.create_missing "
                                 "is off: its memberships are not synced")
                continue
            ctx.add(Action.CREATE_GROUP, Reason("groups.create_missing", f"{group.reason.detail}; "
                    f"{ctx.target} has no group {name!r}"), group=name)
            created_groups.add(name.casefold())
            current = frozenset()
        members = {ctx.renames.get(m.casefold(), m.casefold()) for m in current}
        for member in sorted(set(wanted) - members):
            verdict = wanted[member]
            ctx.add(Action.ADD_MEMBER, verdict.user.groups[name], user=verdict.name_after,
                    user_key=verdict.key, source_id=verdict.user.source_id, group=name)
        for member in sorted(members - set(wanted)):
            if member in ctx.hands_off:
                if ctx.is_protected(member):
                    ctx.notes.append(f"user {member!r} is protected (safety.protected_users): not removed "
                                     f"from {name!r}")
                continue
            if single is not None and member != single:
                continue
            if keep_existing and member not in managed:
                continue
            reason = (Reason("groups.keep_existing_memberships", f"{member!r} is managed by idsync and no "
                             f"longer in a source group that maps to {name!r}") if keep_existing else
                      Reason("groups.authoritative", f"the rules do not put {member!r} in {name!r} and "
                             "groups.keep_existing_memberships is false"))
            known = managed.get(member)
            ctx.add(Action.REMOVE_MEMBER, reason, user=member, group=name,
                    user_key=known.key if known else None, source_id=known.user.source_id if known else None)

    _new_user_groups(ctx, verdicts, created_groups)


def _new_user_groups(ctx: DiffContext, verdicts: list[UserVerdict], created_groups: set[str]) -> None:
    created = [v for v in verdicts if v.situation is Situation.CREATED and v.name_after]
    if not created:
        return
    for name, reason in sorted(ctx.desired.new_user_groups.items()):
        if name not in ctx.desired.groups and name.casefold() not in created_groups:
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
                created_groups.add(name.casefold())
        for verdict in created:
            if name in verdict.user.groups:
                continue  # added as a managed membership already
            ctx.add(Action.ADD_MEMBER, reason, user=verdict.name_after, source_id=verdict.user.source_id,
                    group=name)
