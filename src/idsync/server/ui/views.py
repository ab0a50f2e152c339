"""Presentation helpers the templates share: a connection's settings as rows (secrets only as
"set" / "not set"), a plan grouped by target and action as the CLI shows it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, SecretStr

from idsync.console.plan_view import action_sign, action_title, summary_line, targets_of
from idsync.domain.plan import Action, Plan, PlanItem

SET, NOT_SET = "set", "not set"


def _is_secret(model: BaseModel, key: str) -> bool:
    info = type(model).model_fields.get(key)
    return info is not None and "SecretStr" in str(info.annotation)


def settings_rows(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, bool]]:
    """(key, shown value, is a secret) for every setting of `model`, nested keys dotted; a secret is
    never shown, only whether it is set."""
    for key, value in model:
        name = f"{prefix}{key}"
        if isinstance(value, SecretStr) or (value is None and _is_secret(model, key)):
            yield name, SET if value is not None and value.get_secret_value() else NOT_SET, True
        elif isinstance(value, BaseModel):
            yield from settings_rows(value, f"{name}.")
        elif value is None:
            yield name, "-", False
        elif isinstance(value, bool):
            yield name, "yes" if value else "no", False
        elif isinstance(value, list | tuple):
            yield name, ", ".join(str(v) for v in value) or "-", False
        elif isinstance(value, dict):
            yield name, ", ".join(f"{k}: {v}" for k, v in value.items()) or "-", False
        else:
            yield name, str(value), False


@dataclass
class ActionGroup:
    """The items of one action on one target, in application order."""

    action: Action
    title: str
    sign: str
    tone: str
    items: list[tuple[int, PlanItem]] = field(default_factory=list)


@dataclass
class TargetSection:
    """One target's part of a plan."""

    target: str
    count: int
    unread: str | None
    groups: list[ActionGroup]


def plan_sections(plan: Plan) -> list[TargetSection]:
    """The plan as the CLI prints it: by target, then by action in the order they are applied."""
    by_target: dict[str, dict[Action, list[tuple[int, PlanItem]]]] = {t: {} for t in plan.targets()}
    for index, item in plan.ordered():  # one pass: a plan may hold 100,000 items
        actions = by_target.setdefault(item.target, {})
        found = actions.get(item.action)
        if found is None:
            found = actions[item.action] = []
        found.append((index, item))
    sections = []
    for target, actions in by_target.items():
        groups = []
        for action, items in actions.items():
            sign, tone = action_sign(action)
            groups.append(ActionGroup(action, action_title(action), sign, tone, items))
        count = sum(len(items) for items in actions.values())
        sections.append(TargetSection(target, count, plan.unread_targets.get(target), groups))
    return sections


def plan_context(plan: Plan) -> dict[str, Any]:
    """What plan.html needs besides the plan."""
    return {"sections": plan_sections(plan), "summary": summary_line(plan), "all_targets": targets_of(plan)}
