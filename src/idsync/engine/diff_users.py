"""The user half of the diff: classify every desired user and every gone link, then plan the user
items (create, claim, rename, update, properties, status, lead handover, removal).

Situations and reactions (users.when_removed, lead handover, users.match_existing_by):
- linked, fingerprint equal → nothing (not even read);
- linked, read → rename / update / properties / status to match; missing in the target → treated
  as unlinked again (re-created, or claimed, per `users.match_existing_by`);
- unlinked → claim by username or by email (exactly one match; several → dispute), else create —
  unless the username is held by a target user that may not be claimed (dispute, no item) or the
  user is inactive in the source (never created) or `users.create` is off;
- gone (linked, no longer desired) → `users.when_removed`: deactivate (when still active), delete,
  or ignore; gone from the target as well → the link is dropped. Users the rules skipped or
  disputed are still in the source, so they are never "gone".
A deactivation or deletion of a Jira project / component lead is preceded by HAND_OVER_LEAD to the
configured successor; with none configured the deactivation is still planned (Jira will refuse it,
visibly) and a note says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from idsync.domain import collector
from idsync.domain.plan import Action, Change
from idsync.domain.records import DesiredState, DesiredUser, Link, Reason, TargetUser, Unsyncable
from idsync.engine.diff_context import DiffContext, Situation, UserVerdict
from idsync.engine.diff_licences import restore_licence, revoke_licence
from idsync.engine.links import fingerprint_in


def plan_users(ctx: DiffContext) -> list[UserVerdict]:
    """Plan the items of every desired user; return each one's verdict for the membership phase.
    The cyclic garbage collector is paused meanwhile (`rules.collector`: items and verdicts are kept)."""
    with collector.paused():
        return _plan_users(ctx)


def _plan_users(ctx: DiffContext) -> list[UserVerdict]:
    email_claims: Counter[str] = Counter()
    if ctx.profile.users.match_existing_by == "email":
        email_claims.update(
            u.email.casefold() for sid, u in ctx.desired.users.items() if sid not in ctx.links and u.email
        )
    verdicts = []
    for source_id in sorted(ctx.desired.users):
        verdict = _plan_user(ctx, ctx.desired.users[source_id], email_claims)
        if verdict.situation is Situation.DISPUTED:
            link = ctx.links.get(source_id)
            ctx.hands_off.add(ctx.fold(verdict.user.username))
            if link is not None:
                ctx.hands_off.add(ctx.fold(link.username))
        verdicts.append(verdict)
    return verdicts


def _plan_user(ctx: DiffContext, user: DesiredUser, email_claims: Counter[str]) -> UserVerdict:
    link = ctx.links.get(user.source_id)
    if ctx.is_protected(user.username, link.username if link else None):
        ctx.notes.append(
            f"user {user.username!r} is protected (safety.protected_users): source user "
            f"{user.source_id} is not synced"
        )
        return UserVerdict(user, Situation.PROTECTED)
    fp = fingerprint_in(ctx.desired, user, ctx.profile)
    if link is not None:
        if link.fingerprint == fp:
            return UserVerdict(user, Situation.UNCHANGED, link.username, link.target_key)
        existing = ctx.state.users.get(link.target_key)
        if existing is not None:
            return _update(ctx, user, existing, fp, link=link, claim=None)
    return _unlinked(ctx, user, fp, link, email_claims)


def _unlinked(
    ctx: DiffContext, user: DesiredUser, fp: str, stale: Link | None, email_claims: Counter[str]
) -> UserVerdict:
    """Claim, create or dispute a user without a usable link (`stale`: its target user is gone)."""
    match = ctx.profile.users.match_existing_by
    holder = ctx.by_username.get(ctx.fold(user.username))
    if holder is not None and _renamed_away(ctx, holder, user.source_id):
        ctx.notes.append(f"username {user.username!r} for source user {user.source_id} is still held by "
                         f"target user key {holder.key}, which this plan renames or deletes: it follows "
                         "on the next run")
        return UserVerdict(user, Situation.ABSENT)
    candidate: TargetUser | None = None
    claim: Reason | None = None
    if match == "username" and holder is not None:
        candidate = holder
        claim = Reason("users.match_existing_by", f"target user {holder.username!r} has username "
                       f"{user.username!r} (source user {user.source_id})")
    elif match == "email" and user.email:
        found = ctx.by_email.get(user.email.casefold(), [])
        if user.email.casefold() in ctx.state.unresolved_emails:
            ctx.dispute(user.username, (user.source_id,),
                        f"{ctx.target}'s user search for email {user.email!r} returned as many matches as "
                        "it ever returns, so whether a target user already has that email cannot be told: "
                        "not claimed and not created (link the user by hand, or claim by username)")
            return UserVerdict(user, Situation.DISPUTED)
        if len(found) > 1:
            names = ", ".join(repr(u.username) for u in found)
            ctx.dispute(user.username, (user.source_id,),
                        f"email {user.email!r} matches target users {names}; claiming by email needs "
                        "exactly one")
            return UserVerdict(user, Situation.DISPUTED)
        if found and email_claims[user.email.casefold()] > 1:
            ctx.dispute(user.username, (user.source_id,),
                        f"several source users have email {user.email!r}; target user "
                        f"{found[0].username!r} cannot be claimed by all of them")
            return UserVerdict(user, Situation.DISPUTED)
        if found:
            candidate = found[0]
            claim = Reason("users.match_existing_by", f"target user {candidate.username!r} has email "
                           f"{user.email!r} (source user {user.source_id})")
    if candidate is not None and claim is not None:
        owner = ctx.link_by_key.get(candidate.key)
        if owner is not None and owner.source_id != user.source_id:
            ctx.dispute(user.username, (user.source_id, owner.source_id),
                        f"target user {candidate.username!r} is already linked to source user "
                        f"{owner.source_id}")
            return UserVerdict(user, Situation.DISPUTED)
        if ctx.is_protected(candidate.username):
            ctx.notes.append(f"user {candidate.username!r} is protected (safety.protected_users): "
                             f"not claimed for source user {user.source_id}")
            return UserVerdict(user, Situation.PROTECTED)
        return _update(ctx, user, candidate, fp, link=None, claim=claim)

    if holder is not None:
        owner = ctx.link_by_key.get(holder.key)
        why = (f"it is linked to source user {owner.source_id}" if owner is not None
               else f"users.match_existing_by is {match!r}")
        ids = (user.source_id,) if owner is None else (user.source_id, owner.source_id)
        ctx.dispute(user.username, ids,
                    f"username {user.username!r} is taken in the target by key {holder.key} and cannot be "
                    f"claimed: {why}")
        return UserVerdict(user, Situation.DISPUTED)
    if stale is not None and (not user.active or not ctx.profile.users.create):
        ctx.link_deletes.append(user.source_id)
    if not user.active:
        return UserVerdict(user, Situation.ABSENT)
    if not ctx.profile.users.create:
        ctx.notes.append(f"source user {user.source_id} ({user.username!r}) is not in the target and "
                         "users.create is off: not created")
        return UserVerdict(user, Situation.ABSENT)

    problems = ctx.capabilities.requirements.problems(
        user.username, user.email, user.display_name, creating=True
    )
    if problems:
        ctx.unsyncable.append(Unsyncable(ctx.target, user.source_id, user.username,
                                         f"cannot be created in {ctx.target}: {'; '.join(problems)}"))
        return UserVerdict(user, Situation.ABSENT)
    if stale is not None:
        reason = Reason("links.recreate", f"linked target user {stale.username!r} (key {stale.target_key}) "
                        f"no longer exists in the target; source user {user.source_id} is still in scope")
    else:
        reason = Reason("users.create", f"{user.reason.detail}; no target user {user.username!r}")
    changes = tuple(Change(name, None, value) for name, value in
                    (("email", user.email), ("display_name", user.display_name)) if value is not None)
    ctx.add(Action.CREATE_USER, reason, user=user.username, source_id=user.source_id, changes=changes,
            fingerprint=fp)
    if ctx.capabilities.user_properties and user.properties:
        for key, value in sorted(user.properties.items()):
            ctx.add(Action.SET_USER_PROPERTY, _property_reason(user, key, value), user=user.username,
                    source_id=user.source_id, changes=(Change(key, None, value),), fingerprint=fp)
    return UserVerdict(user, Situation.CREATED, user.username)


def _renamed_away(ctx: DiffContext, holder: TargetUser, source_id: str) -> bool:
    """Whether this plan frees `holder`'s username: it is linked to another source user that is
    renamed or deleted by this plan (creation runs before both, so the name is taken next run)."""
    owner = ctx.link_by_key.get(holder.key)
    if owner is None or owner.source_id == source_id:
        return False
    wanted = ctx.desired.users.get(owner.source_id)
    if wanted is None:  # gone from the source: freed when this plan deletes it (when_removed: delete)
        disputed = any(owner.source_id in d.source_ids for d in ctx.desired.disputes)
        return (ctx.profile.users.when_removed == "delete" and ctx.capabilities.delete and not disputed
                and owner.source_id not in ctx.desired.skipped and not ctx.is_protected(holder.username)
                and (ctx.desired.single_user is None or ctx.desired.single_user == owner.source_id))
    return (ctx.capabilities.rename and ctx.fold(wanted.username) != ctx.fold(holder.username))


def _update(
    ctx: DiffContext, user: DesiredUser, existing: TargetUser, fp: str, *, link: Link | None,
    claim: Reason | None,
) -> UserVerdict:
    """Items that bring an existing target user to the desired state (after claiming it if `claim`)."""
    rules = ctx.profile.users
    sid, key = user.source_id, existing.key
    name_after = existing.username
    planned: list[tuple[Action, Reason, tuple[Change, ...]]] = []
    if ctx.fold(user.username) != ctx.fold(existing.username):
        holder = ctx.by_username.get(ctx.fold(user.username))
        if holder is not None and holder.key != key and _renamed_away(ctx, holder, sid):
            ctx.notes.append(f"target user {existing.username!r} is to be renamed to {user.username!r}, "
                             "which this plan frees by another rename: it follows on the next run")
            return UserVerdict(user, Situation.UPDATED, existing.username, key)
        if holder is not None and holder.key != key:
            ctx.dispute(user.username, (sid,),
                        f"cannot rename target user {existing.username!r} to {user.username!r}: "
                        f"key {holder.key} already has that username")
            return UserVerdict(user, Situation.DISPUTED)
        if ctx.capabilities.rename:
            rename = Reason("users.username", f"source user {sid} now gets username {user.username!r} "
                            f"(target has {existing.username!r})")
            planned.append((Action.RENAME_USER, rename,
                            (Change("username", existing.username, user.username),)))
            name_after = user.username
            ctx.renames[ctx.fold(existing.username)] = ctx.fold(user.username)
        else:
            ctx.notes.append(f"target user {existing.username!r} should be renamed to {user.username!r} "
                             f"but {ctx.target} cannot rename users")
    if rules.update:
        changes = tuple(
            Change(name, old, new)
            for name, old, new in (("email", existing.email, user.email),
                                   ("display_name", existing.display_name, user.display_name))
            if new is not None and new != old
        )
        if changes:
            detail = ", ".join(f"{c.field} {c.new!r}" for c in changes)
            planned.append((Action.UPDATE_USER, Reason("users.update", f"source user {sid} has {detail}"),
                            changes))
    deactivate = revoke = restore = False
    if rules.sync_status and user.active != existing.active:
        if user.active and ctx.capabilities.licence_groups:
            restore = True
        elif user.active:
            planned.append((Action.REACTIVATE_USER, Reason(
                "users.sync_status", f"source user {sid} is active in the source ({user.reason.detail})"),
                (Change("active", False, True),)))
        elif ctx.capabilities.deactivate:
            deactivate = True
        elif ctx.capabilities.licence_groups:
            revoke = True
        else:
            ctx.notes.append(f"source user {sid} is inactive but {ctx.target} cannot deactivate "
                             f"{existing.username!r}")
    if ctx.capabilities.user_properties:
        for prop in sorted(set(user.properties) | set(rules.custom_attributes)):
            new, old = user.properties.get(prop), existing.properties.get(prop)
            if new != old:
                planned.append((Action.SET_USER_PROPERTY, _property_reason(user, prop, new),
                                (Change(prop, old, new),)))

    if claim is not None:
        ctx.add(Action.LINK_USER, claim, user=existing.username, user_key=key, source_id=sid, fingerprint=fp)
    for action, reason, changes in planned:
        who = existing.username if action is Action.RENAME_USER else name_after
        ctx.add(action, reason, user=who, user_key=key, source_id=sid, changes=changes, fingerprint=fp)
    if deactivate:
        reason = Reason("users.sync_status", f"source user {sid} is inactive in the source")
        hand_over_leads(ctx, existing.username, name_after, key, sid, fp)
        ctx.add(Action.DEACTIVATE_USER, reason, user=name_after, user_key=key, source_id=sid,
                changes=(Change("active", True, False),), fingerprint=fp)
    if restore:
        back = Reason("users.sync_status", f"source user {sid} is active in the source")
        restore = restore_licence(ctx, link, existing, name_after, sid, fp, back)
    if revoke:
        away = Reason("users.sync_status", f"source user {sid} is inactive in the source")
        revoke = revoke_licence(ctx, existing, name_after, sid, fp, away)
    if link is not None and claim is None and not planned and not deactivate and not revoke and not restore:
        # The target already holds what the source wants (changed by hand, or a write we did not
        # record): refresh the link so the user is not read again next run.
        ctx.update_link(link, username=existing.username, fingerprint=fp, active=existing.active)
    situation = Situation.CLAIMED if claim is not None else Situation.UPDATED
    return UserVerdict(user, situation, name_after, key)


def _property_reason(user: DesiredUser, prop: str, value: str | None) -> Reason:
    if value is None:
        return Reason("users.custom_attributes", f"source user {user.source_id} has no value for {prop!r}")
    return Reason("users.custom_attributes", f"source user {user.source_id} has {prop} {value!r}")


def hand_over_leads(ctx: DiffContext, current: str, name: str, key: str, sid: str, fp: str) -> None:
    """HAND_OVER_LEAD items for every lead role `current` holds, or a note when no successor."""
    if not ctx.capabilities.leads:
        return
    for role in sorted(ctx.state.leads, key=lambda r: (r.kind, r.id)):
        if ctx.fold(role.lead) != ctx.fold(current):
            continue
        successor, setting = ctx.profile.leads.successor(ctx.target, role.kind)
        if successor is None or ctx.fold(successor) == ctx.fold(current):
            ctx.notes.append(f"{current!r} leads {role.kind} {role.name!r} and {setting} is not set "
                             f"(or is that user): the deactivation will be refused by {ctx.target}")
            continue
        ctx.add(Action.HAND_OVER_LEAD, Reason(setting, f"{current!r} leads {role.kind} "
                f"{role.name!r} and is about to be deactivated or deleted"), user=name, user_key=key,
                source_id=sid, lead=role, new_lead=successor, fingerprint=fp)


def gone_links(desired: DesiredState, links: Mapping[str, Link], mode: str) -> list[Link]:
    """The links `users.when_removed` (`mode`) acts on, by source id: people linked in the target that
    the desired state no longer holds (neither desired nor skipped by the rules nor in a dispute: those
    are still in the source), only the single user's in a single-user run, and for `deactivate` only
    those still active. Set differences in C rather than a test of every link: at 150,000 people almost
    nobody is gone. The state query reads their target users, and `plan_gone` acts on them."""
    if mode == "ignore":
        return []
    gone = links.keys() - desired.users.keys() - desired.skipped.keys()
    for dispute in desired.disputes:
        gone.difference_update(dispute.source_ids)
    if desired.single_user is not None:
        gone &= {desired.single_user}
    return [link for sid in sorted(gone) if (link := links[sid]).active or mode == "delete"]


def plan_gone(ctx: DiffContext) -> None:
    """Items for linked users no longer in the desired state (users.when_removed)."""
    mode = ctx.profile.users.when_removed
    for link in gone_links(ctx.desired, ctx.links, mode):
        sid = link.source_id
        existing = ctx.state.users.get(link.target_key)
        if existing is None:
            ctx.link_deletes.append(sid)
            continue
        if ctx.is_protected(existing.username, link.username):
            ctx.notes.append(f"user {existing.username!r} is protected (safety.protected_users): not "
                             f"{'deactivated' if mode == 'deactivate' else 'deleted'} although source user "
                             f"{sid} is gone")
            continue
        reason = Reason(f"users.when_removed={mode}", f"source user {sid} ({link.username!r}) left the scope "
                        "or was deleted in the source")
        if mode == "deactivate":
            if not existing.active:
                ctx.update_link(link, username=existing.username, fingerprint="", active=False)
            elif ctx.capabilities.licence_groups:
                revoke_licence(ctx, existing, existing.username, sid, "", reason)
            elif not ctx.capabilities.deactivate:
                ctx.notes.append(f"{existing.username!r} left the scope but {ctx.target} cannot deactivate")
            else:
                hand_over_leads(ctx, existing.username, existing.username, existing.key, sid, "")
                ctx.add(Action.DEACTIVATE_USER, reason, user=existing.username, user_key=existing.key,
                        source_id=sid, changes=(Change("active", True, False),), fingerprint="")
        elif not ctx.capabilities.delete:
            ctx.notes.append(f"{existing.username!r} left the scope but {ctx.target} cannot delete users")
        else:
            hand_over_leads(ctx, existing.username, existing.username, existing.key, sid, "")
            ctx.add(Action.DELETE_USER, reason, user=existing.username, user_key=existing.key, source_id=sid,
                    fingerprint="")
