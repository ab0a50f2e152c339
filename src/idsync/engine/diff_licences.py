"""Deactivation on a target that has none: a licence comes from membership of licence-granting groups
(Bitbucket), so taking a person out of the product means taking them out of exactly those groups,
and bringing them back means giving back exactly the groups idsync took. The link remembers which
(`Link.licence_groups`), so a returning user gets no more and no less than they had.
"""

from __future__ import annotations

from idsync.domain.plan import Action, Change
from idsync.domain.records import Link, Reason, TargetUser
from idsync.engine.diff_context import DiffContext


def revoke_licence(
    ctx: DiffContext, existing: TargetUser, name: str, sid: str, fp: str, why: Reason
) -> bool:
    """REVOKE_LICENCE for every licence-granting group `existing` is a direct member of; False when
    there are none (the licence comes from elsewhere, e.g. a direct permission: a note says so)."""
    groups = sorted(existing.licence_groups)
    if not groups:
        ctx.notes.append(f"{existing.username!r} should lose its {ctx.target} licence but is in no "
                         "licence-granting group (a permission granted to the user directly is left alone)")
        return False
    for group in groups:
        reason = Reason(why.rule, f"{why.detail}; {ctx.target} has no deactivate, so the user leaves "
                        f"licence-granting group {group!r} (given back on return)")
        ctx.add(Action.REVOKE_LICENCE, reason, user=name, user_key=existing.key, source_id=sid, group=group,
                changes=(Change("licence", True, False),), fingerprint=fp)
    return True


def restore_licence(
    ctx: DiffContext, link: Link | None, existing: TargetUser, name: str, sid: str, fp: str, why: Reason
) -> bool:
    """RESTORE_LICENCE for each licence-granting group idsync took from this user; False when it took
    none (then the user's licence is the rules' business: default or mapped groups)."""
    if link is None or not link.licence_groups:
        return False
    for group in sorted(link.licence_groups - existing.licence_groups):
        reason = Reason(why.rule, f"{why.detail}; idsync took {existing.username!r} out of licence-granting "
                        f"group {group!r} when the user left, and gives it back")
        ctx.add(Action.RESTORE_LICENCE, reason, user=name, user_key=existing.key, source_id=sid, group=group,
                changes=(Change("licence", False, True),), fingerprint=fp)
    return True
