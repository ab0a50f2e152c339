"""What `idsync undo` works on and hands back: the recorded items of the run to undo, the refusals,
the inverse; and which target key each recorded item's user has.

A plain-records module beside `idsync.engine.undo`, which does the inverting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from idsync.domain.plan import Action, PlanItem


@dataclass(frozen=True, slots=True)
class DoneItem:
    """One item of the run to undo, as history recorded it."""

    index: int
    """Its position in the run's plan (as `idsync history RUN_ID` numbers items)."""
    item: PlanItem
    applied: bool
    """Whether the run applied it (only applied items changed anything)."""
    target_key: str | None = None
    """The key the target gave a user the run created."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """An applied item of the run the undo leaves as it is, and why (the target changed since)."""

    index: int
    target: str
    action: Action
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.subject} [{self.target}]: {self.detail} (item {self.index}, {self.action})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {"index": self.index, "target": self.target, "action": str(self.action),
                "subject": self.subject, "detail": self.detail}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Inverse:
    """The undo of one run: the items to apply, the items refused, and what a reviewer should know."""

    items: tuple[PlanItem, ...]
    refusals: tuple[Refusal, ...]
    notes: tuple[str, ...]


class UserKeys:
    """The target key of each user the run touched, also for its items recorded without one (a
    created user's memberships and properties: the key was only learnt from the creation)."""

    def __init__(self, entries: Sequence[DoneItem], fold: Callable[[str], str]) -> None:
        self.fold = fold
        self.by_source: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for entry in entries:
            key = entry.item.user_key or (entry.target_key if entry.item.action in
                                          (Action.CREATE_USER, Action.LINK_USER) else None)
            if key is None:
                continue
            if entry.item.source_id:
                self.by_source.setdefault(entry.item.source_id, key)
            if entry.item.user and entry.item.action is not Action.HAND_OVER_LEAD:
                self.by_name.setdefault(fold(entry.item.user), key)

    def of(self, entry: DoneItem) -> str | None:
        """The key of the entry's user, if it can be told."""
        item = entry.item
        if item.user_key:
            return item.user_key
        if item.action is Action.CREATE_USER and entry.target_key:
            return entry.target_key
        if item.source_id and item.source_id in self.by_source:
            return self.by_source[item.source_id]
        return self.by_name.get(self.fold(item.user)) if item.user else None
