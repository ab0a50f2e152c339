"""Undo: the inverse of a recorded run as a plan, from what history kept and what the target holds now.

Pure: the recorded items of one run and the target states read for exactly what they touched
(`undo_queries`) go in; inverse plan items, refusals and notes come out. No I/O, no clock.

Every item the run applied is judged against the target as it is now:

    the target holds what the run wrote       → the inverse item
    the target holds what was there before    → nothing to do (a note says so)
    anything else: someone changed it since   → refused, naming the object, its value now and the run's

because writing the old value over a change made after the run would undo that change too, which
nobody asked for. What each action becomes:

    CREATE_USER        → DEACTIVATE_USER (a created user is deactivated, never deleted: its history
                         and anything it did in the product stay)
    RENAME_USER        → RENAME_USER back (refused when another user holds the old name now)
    UPDATE_USER        → UPDATE_USER to the old values (a field that was empty is not emptied: refused)
    REACTIVATE_USER   ↔  DEACTIVATE_USER        ADD_MEMBER ↔ REMOVE_MEMBER
    RESTORE_LICENCE   ↔  REVOKE_LICENCE
    SET_USER_PROPERTY  → SET_USER_PROPERTY to the old value (removed when it was not set)
    HAND_OVER_LEAD     → HAND_OVER_LEAD back to the lead before
    CREATE_GROUP       → nothing: the group stays (a note says so; its members come out with the
                         memberships the run added)
    LINK_USER          → nothing: claiming wrote nothing to the target (the link row stays)
    DELETE_USER, DELETE_GROUP, RENAME_GROUP and service-desk customer items → refused, saying why

Items the run did not apply (failed, skipped, never run) changed nothing and are not inverted. The
inverse of an undo run is again just its items inverted, so undoing an undo restores the run's result.
Items are addressed by the names they will have when they run: a user the undo renames back goes by
the old name in its later items (renames apply in an earlier phase).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from idsync.domain.plan import Action, Change, PlanItem
from idsync.domain.records import LeadRole, Reason, StateQuery, TargetState, TargetUser
from idsync.engine.undo_records import DoneItem, Inverse, Refusal, UserKeys

__all__ = ["UNDO_RULE", "DoneItem", "Inverse", "Refusal", "invert", "undo_queries"]

UNDO_RULE = "undo"
"""Every inverse item's reason is the rule "undo of run <id>", so it reads "undo of run <id>:
reverses its update_user of jdoe (item 3, users.update)"."""

_USER_ITEMS = frozenset({
    Action.CREATE_USER, Action.RENAME_USER, Action.UPDATE_USER, Action.REACTIVATE_USER,
    Action.DEACTIVATE_USER, Action.SET_USER_PROPERTY, Action.REVOKE_LICENCE, Action.RESTORE_LICENCE,
})  # fmt: skip
"""Items whose inverse needs the user read back from the target."""

_FIELD_LABELS = {"email": "e-mail", "display_name": "display name"}
"""UPDATE_USER fields the undo can write back, as a person reads them."""

_NOT_UNDONE = {
    Action.DELETE_USER: "the run deleted this user; a deleted user cannot be brought back (if the "
                        "source still has them, a sync creates them anew)",
    Action.DELETE_GROUP: "the run deleted this group (replaced by the group under its new name); a "
                         "deleted group cannot be brought back",
    Action.RENAME_GROUP: "undo does not rename groups back: rename the group in the target by hand, or "
                         "rename the source group back and sync",
    Action.CREATE_CUSTOMER: "undo does not cover service-desk customers yet: remove the customer by hand",
    Action.ADD_CUSTOMER: "undo does not cover service-desk customers yet: remove the customer from the "
                         "desk by hand",
    Action.REMOVE_CUSTOMER: "undo does not cover service-desk customers yet: add the customer back by hand",
}  # fmt: skip


def undo_queries(done: Sequence[DoneItem]) -> dict[str, StateQuery]:
    """Per target, what to read to judge the run's applied items: their users (by key where known),
    the old names of renamed users, the properties set, the groups whose members changed, leads."""
    found: dict[str, dict[str, set[str]]] = {}
    leads: set[str] = set()
    for target, items in _by_target(done).items():
        keys = UserKeys(items, str.casefold)
        sets = found.setdefault(target, {"keys": set(), "names": set(), "groups": set(), "props": set()})
        for entry in items:
            item = entry.item
            if item.action in _USER_ITEMS:
                key = keys.of(entry)
                if key is not None:
                    sets["keys"].add(key)
                elif item.user:
                    sets["names"].add(item.user)
            if item.action is Action.RENAME_USER:
                sets["names"].update(str(c.old) for c in item.changes if c.field == "username" and c.old)
            if item.action is Action.SET_USER_PROPERTY:
                sets["props"].update(c.field for c in item.changes)
            if item.action in (Action.ADD_MEMBER, Action.REMOVE_MEMBER) and item.group:
                sets["groups"].add(item.group)
            if item.action is Action.HAND_OVER_LEAD:
                leads.add(target)
    return {
        target: StateQuery(
            user_keys=frozenset(sets["keys"]), usernames=frozenset(sets["names"]),
            groups=frozenset(sets["groups"]), property_keys=frozenset(sets["props"]),
            leads=target in leads,
        )
        for target, sets in found.items()
    }  # fmt: skip


def invert(
    run_id: str,
    done: Sequence[DoneItem],
    states: Mapping[str, TargetState],
    *,
    case_sensitive: Mapping[str, bool] | None = None,
) -> Inverse:
    """The inverse of run `run_id`'s applied items, judged against `states` (per target, as read for
    `undo_queries`). `case_sensitive`: targets whose names compare exactly (else case-insensitively)."""
    items: list[PlanItem] = []
    refusals: list[Refusal] = []
    notes: list[str] = []
    unapplied = sum(1 for entry in done if not entry.applied)
    if unapplied:
        notes.append(f"{unapplied} item{'s' if unapplied != 1 else ''} of run {run_id} did not apply "
                     "(failed, skipped or never run): they changed nothing and are not undone")
    for target, entries in _by_target(done).items():
        state = states.get(target)
        if state is None:
            raise ValueError(f"no target state given for target {target!r} of run {run_id}")
        exact = (case_sensitive or {}).get(target, False)
        one = _TargetUndo(run_id, target, state, (lambda s: s) if exact else str.casefold, entries)
        one.run()
        items += one.items
        refusals += one.refusals
        notes += one.notes
    return Inverse(tuple(items), tuple(refusals), tuple(notes))


def _by_target(done: Iterable[DoneItem]) -> dict[str, list[DoneItem]]:
    grouped: dict[str, list[DoneItem]] = {}
    for entry in done:
        if entry.applied:
            grouped.setdefault(entry.item.target, []).append(entry)
    return grouped


@dataclass
class _TargetUndo:
    """Inverts one target's applied items of the run."""

    run_id: str
    target: str
    state: TargetState
    fold: Callable[[str], str]
    entries: Sequence[DoneItem]
    items: list[PlanItem] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    renamed_back: dict[str, str] = field(default_factory=dict)
    """Folded name the run gave → the old name the undo renames the user back to."""
    run_renames: dict[str, str] = field(default_factory=dict)
    """Folded name before the run → the name the run gave (every rename the run applied)."""
    keys: UserKeys = field(init=False)
    by_name: dict[str, TargetUser] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = UserKeys(self.entries, self.fold)
        self.by_name = {self.fold(u.username): u for u in self.state.users.values()}

    def run(self) -> None:
        """Renames first (later items address the user by the name it will have), then the rest."""
        for entry in self.entries:
            if entry.item.action is Action.RENAME_USER:
                self._rename(entry)
        for entry in self.entries:
            action = entry.item.action
            if action is Action.RENAME_USER:
                continue
            if action in _NOT_UNDONE:
                self._refuse(entry, _NOT_UNDONE[action])
            elif action is Action.CREATE_GROUP:
                self.notes.append(f"group {entry.item.group!r} that run {self.run_id} created in "
                                  f"{self.target} is left in place (undo removes the memberships the run "
                                  "added; delete the group by hand if it should go)")
            elif action is Action.LINK_USER:
                self.notes.append(f"{entry.item.user!r} in {self.target}: run {self.run_id} only linked "
                                  "this existing user (nothing was written to the target); the link stays")
            else:
                _HANDLERS[action](self, entry)

    # --- helpers ----------------------------------------------------------------------------------

    def _user(self, entry: DoneItem) -> TargetUser | None:
        key = self.keys.of(entry)
        if key is not None:
            return self.state.users.get(key)
        return self.by_name.get(self.fold(entry.item.user)) if entry.item.user else None

    def _name_now(self, name: str) -> str:
        """A name the run left a user with, as the user is called once the undo's renames ran."""
        return self.renamed_back.get(self.fold(name), name)

    def _name_before_after_undo(self, name: str) -> str:
        """A name a user had before the run, as it is called once the undo ran."""
        given = self.run_renames.get(self.fold(name))
        return name if given is None else self._name_now(given)

    def _add(self, entry: DoneItem, action: Action, *, user: str | None = None,
             changes: tuple[Change, ...] = (), group: str | None = None, lead: LeadRole | None = None,
             new_lead: str | None = None, user_level: bool = True) -> None:
        item = entry.item
        key = self.keys.of(entry)
        detail = f"reverses its {item.action} of {item.subject} (item {entry.index}, {item.reason.rule})"
        self.items.append(PlanItem(
            action=action, target=self.target, reason=Reason(f"{UNDO_RULE} of run {self.run_id}", detail),
            user=user if user is not None else (self._name_now(item.user) if item.user else None),
            user_key=key, source_id=item.source_id, group=group, changes=changes, lead=lead,
            new_lead=new_lead,
            # "" makes the link record the active flag and name the undo leaves, and read the user
            # again next run (what the source wants may differ from what the undo restored)
            fingerprint="" if user_level and item.source_id else None,
        ))  # fmt: skip

    def _refuse(self, entry: DoneItem, detail: str) -> None:
        self.refusals.append(Refusal(entry.index, self.target, entry.item.action, entry.item.subject, detail))

    def _already(self, entry: DoneItem, detail: str) -> None:
        self.notes.append(f"{entry.item.subject} in {self.target}: {detail}, as before run {self.run_id} "
                          f"(item {entry.index}, {entry.item.action}): nothing to undo")

    def _missing(self, entry: DoneItem) -> None:
        self._refuse(entry, f"{entry.item.user!r} no longer exists in {self.target}")

    # --- per action -------------------------------------------------------------------------------

    def _rename(self, entry: DoneItem) -> None:
        change = next((c for c in entry.item.changes if c.field == "username"), None)
        user = self._user(entry)
        if change is None or not isinstance(change.old, str) or not isinstance(change.new, str):
            self._refuse(entry, "history records no old and new username for this rename")
            return
        self.run_renames[self.fold(change.old)] = change.new
        if user is None:
            self._refuse(entry, f"the user renamed to {change.new!r} no longer exists in {self.target}")
            return
        now = self.fold(user.username)
        if now == self.fold(change.old):
            self._already(entry, f"named {user.username!r}")
            return
        if now != self.fold(change.new):
            self._refuse(entry, f"the user the run renamed to {change.new!r} is now named {user.username!r}")
            return
        holder = self.by_name.get(self.fold(change.old))
        if holder is not None and holder.key != user.key:
            self._refuse(entry, f"the old name {change.old!r} is now held by another user (key "
                         f"{holder.key}) in {self.target}")
            return
        self.renamed_back[self.fold(change.new)] = change.old
        self._add(entry, Action.RENAME_USER, user=user.username,
                  changes=(Change("username", change.new, change.old),))

    def _created(self, entry: DoneItem) -> None:
        user = self._user(entry)
        if user is None:
            self._missing(entry)
        elif self.fold(user.username) != self.fold(entry.item.user or ""):
            self._refuse(entry, f"the user the run created as {entry.item.user!r} is now named "
                         f"{user.username!r}")
        elif not user.active:
            self._already(entry, "inactive")
        else:
            self._add(entry, Action.DEACTIVATE_USER, changes=(Change("active", True, False),))

    def _update(self, entry: DoneItem) -> None:
        user = self._user(entry)
        if user is None:
            self._missing(entry)
            return
        back: list[Change] = []
        for change in entry.item.changes:
            label = _FIELD_LABELS.get(change.field)
            if label is None:
                self._refuse(entry, f"undo does not write the field {change.field!r} back")
                continue
            now = getattr(user, change.field)
            if _same(now, change.old, change.field):
                self._already(entry, f"{label} {now!r}")
            elif not _same(now, change.new, change.field):
                self._refuse(entry, f"{entry.item.user}'s {label} is now {_shown(now)}, the run set "
                             f"{_shown(change.new)}")
            elif change.old is None or change.old == "":
                self._refuse(entry, f"{entry.item.user} had no {label} before the run, and idsync does "
                             f"not write an empty {label}")
            else:
                back.append(Change(change.field, change.new, change.old))
        if back:
            self._add(entry, Action.UPDATE_USER, changes=tuple(back))

    def _status(self, entry: DoneItem) -> None:
        user = self._user(entry)
        if user is None:
            self._missing(entry)
            return
        made_active = entry.item.action is Action.REACTIVATE_USER
        if user.active != made_active:
            self._already(entry, "active" if user.active else "inactive")
        elif made_active:
            self._add(entry, Action.DEACTIVATE_USER, changes=(Change("active", True, False),))
        else:
            self._add(entry, Action.REACTIVATE_USER, changes=(Change("active", False, True),))

    def _property(self, entry: DoneItem) -> None:
        user = self._user(entry)
        if user is None:
            self._missing(entry)
            return
        back: list[Change] = []
        for change in entry.item.changes:
            now = user.properties.get(change.field)
            if _same(now, change.old, change.field):
                self._already(entry, f"property {change.field!r} {_shown(now)}")
            elif not _same(now, change.new, change.field):
                self._refuse(entry, f"{entry.item.user}'s property {change.field!r} is now {_shown(now)}, "
                             f"the run set {_shown(change.new)}")
            else:
                back.append(Change(change.field, change.new, change.old))
        if back:
            self._add(entry, Action.SET_USER_PROPERTY, changes=tuple(back))

    def _licence(self, entry: DoneItem) -> None:
        user, group = self._user(entry), entry.item.group or ""
        if user is None:
            self._missing(entry)
            return
        holds = self.fold(group) in {self.fold(g) for g in user.licence_groups}
        restored = entry.item.action is Action.RESTORE_LICENCE
        if holds != restored:
            self._already(entry, f"{'in' if holds else 'not in'} licence group {group!r}")
        elif restored:
            self._add(entry, Action.REVOKE_LICENCE, group=group, changes=(Change("licence", True, False),))
        else:
            self._add(entry, Action.RESTORE_LICENCE, group=group, changes=(Change("licence", False, True),))

    def _membership(self, entry: DoneItem) -> None:
        item = entry.item
        group, user = item.group or "", item.user or ""
        members = self.state.groups.get(group)
        if members is None:
            found = next((m for name, m in self.state.groups.items() if self.fold(name) == self.fold(group)),
                         None)
            if found is None:
                self._refuse(entry, f"group {group!r} no longer exists in {self.target}")
                return
            members = found
        member = self.fold(user) in {self.fold(m) for m in members}
        added = item.action is Action.ADD_MEMBER
        if member != added:
            self._already(entry, f"{user!r} is {'a' if member else 'not a'} member of {group!r}")
            return
        self._add(entry, Action.REMOVE_MEMBER if added else Action.ADD_MEMBER, group=group, user_level=False)

    def _lead(self, entry: DoneItem) -> None:
        role, given = entry.item.lead, entry.item.new_lead
        if role is None or not given:
            self._refuse(entry, "history of this run does not record which role was handed over from "
                         "whom (recorded before idsync kept it): hand it back by hand")
            return
        now = next((r for r in self.state.leads if (r.kind, r.id) == (role.kind, role.id)), None)
        if now is None:
            self._refuse(entry, f"{role.kind} {role.name!r} no longer exists in {self.target}")
        elif self.fold(now.lead) == self.fold(role.lead):
            self._already(entry, f"led by {now.lead!r}")
        elif self.fold(now.lead) != self.fold(given):
            self._refuse(entry, f"{role.kind} {role.name!r} is now led by {now.lead!r}, the run made "
                         f"{given!r} its lead")
        else:
            back = self._name_before_after_undo(role.lead)
            self._add(entry, Action.HAND_OVER_LEAD, lead=LeadRole(role.kind, role.id, role.name, now.lead),
                      new_lead=back, user_level=False)


_HANDLERS: Mapping[Action, Callable[[_TargetUndo, DoneItem], None]] = {
    Action.CREATE_USER: _TargetUndo._created,
    Action.UPDATE_USER: _TargetUndo._update,
    Action.REACTIVATE_USER: _TargetUndo._status,
    Action.DEACTIVATE_USER: _TargetUndo._status,
    Action.SET_USER_PROPERTY: _TargetUndo._property,
    Action.REVOKE_LICENCE: _TargetUndo._licence,
    Action.RESTORE_LICENCE: _TargetUndo._licence,
    Action.ADD_MEMBER: _TargetUndo._membership,
    Action.REMOVE_MEMBER: _TargetUndo._membership,
    Action.HAND_OVER_LEAD: _TargetUndo._lead,
}


def _same(now: str | bool | None, recorded: str | bool | None, field: str) -> bool:
    """Whether the target's value is the recorded one. E-mail addresses compare case-insensitively
    (a target may store the case it likes); "" and None both mean "not set"."""
    if now in (None, "") or recorded in (None, ""):
        return now in (None, "") and recorded in (None, "")
    if field == "email" and isinstance(now, str) and isinstance(recorded, str):
        return now.casefold() == recorded.casefold()
    return now == recorded


def _shown(value: str | bool | None) -> str:
    return "not set" if value in (None, "") else repr(value)
