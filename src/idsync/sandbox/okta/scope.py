"""What a caller's token may see. Okta does not document it for a group-scoped admin; the emulator's
choice: such a token sees only its groups (never Everyone) and the members of those groups; lists
are filtered to that scope and anything outside it answers 403 E0000006."""

from __future__ import annotations

from idsync.sandbox.okta.errors import forbidden
from idsync.sandbox.okta.model import Group, Token, User
from idsync.sandbox.okta.state import OktaState


def sees_user(state: OktaState, token: Token, user_id: str) -> bool:
    """Whether the token's scope includes this user."""
    if token.group_ids is None:
        return True
    return not token.group_ids.isdisjoint(state.user_groups.get(user_id, ()))


def sees_group(token: Token, group: Group) -> bool:
    """Whether the token's scope includes this group."""
    return token.group_ids is None or group.id in token.group_ids


def check_user(state: OktaState, token: Token, user: User) -> User:
    """The user, or 403 E0000006 when outside the token's scope."""
    if not sees_user(state, token, user.id):
        raise forbidden()
    return user


def check_group(token: Token, group: Group) -> Group:
    """The group, or 403 E0000006 when outside the token's scope."""
    if not sees_group(token, group):
        raise forbidden()
    return group
