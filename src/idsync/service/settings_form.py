"""The settings tabs' values: what each field shows (from the file, raw), and a submitted tab turned
back into `config_edit.Change`s — the only place form text becomes typed YAML values.

Form text is converted only as far as its kind says (a number field's "5" becomes 5); text that is not
a number is passed on as it is, so the loader reports it with its own message at that field ("input
should be a valid integer, got 'abc'") instead of this module inventing a second wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idsync.service.config_edit import Change, ConfigDocument, field_default
from idsync.service.config_problems import Problem
from idsync.service.config_yaml import YamlValue, get_path, load_tree
from idsync.service.settings_tabs import TABS, Field, Kind, Tab, tab

FALSE = "false"
"""The value of the hidden input each checkbox carries, so an unticked box still says "no"."""
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table field."""

    key: str
    value: str
    extra: str = ""
    """SUCCESSORS: the component lead (`value` is the project lead)."""


def file_values(document: ConfigDocument, profile: str, shown: Tab) -> dict[str, Any]:
    """Each field of `shown` as the file has it (the default when the key is absent), for display:
    raw text, so a `${NAME}` reference shows as itself and never as the secret it stands for."""
    tree = load_tree(document.text, document.path.name)
    values: dict[str, Any] = {}
    for field in shown.fields:
        present, raw = get_path(tree, ("profiles", profile, *field.path))
        values[field.name] = _plain(raw) if present else field_default(field.path)
    return values


def display(field: Field, value: Any, targets: Sequence[str] = ()) -> Any:
    """A field's value as its input shows it: bool, text, or a list of `Row`s."""
    kind = field.kind
    if kind is Kind.BOOL:
        return bool(value)
    if kind in (Kind.LINES,):
        return "\n".join(str(v) for v in value) if isinstance(value, list) else _text(value)
    if kind is Kind.TABLE:
        mapping = value if isinstance(value, Mapping) else {}
        keys = list(field.fixed_keys) or list(mapping)
        return [Row(str(k), _lines(mapping.get(k))) for k in keys]
    if kind is Kind.GROUP_TABLE:
        mapping = value if isinstance(value, Mapping) else {}
        return [
            Row(str(k), ", ".join(map(str, v)) if isinstance(v, list) else _text(v))
            for k, v in mapping.items()
        ]
    if kind is Kind.RENAME:
        rule = value if isinstance(value, Mapping) else {}
        return Row(_text(rule.get("regex")), _text(rule.get("replace")))
    if kind is Kind.SUCCESSORS:
        mapping = value if isinstance(value, Mapping) else {}
        names = list(targets) + [t for t in mapping if t not in targets]
        rows = []
        for target in names:
            found = mapping.get(target)
            own: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            rows.append(Row(str(target), _text(own.get("project")), _text(own.get("component"))))
        return rows
    return _text(value)


@dataclass(frozen=True, slots=True)
class FieldView:
    """A field as the page shows it: its value for the input, and the problems to show at it."""

    field: Field
    value: Any
    problems: tuple[str, ...] = ()


def field_views(
    shown: Tab, values: Mapping[str, Any], problems: Sequence[Problem] = (), targets: Sequence[str] = ()
) -> tuple[FieldView, ...]:
    """Every field of `shown` with its displayed value and the problems about it."""
    return tuple(
        FieldView(
            field,
            display(field, values.get(field.name), targets),
            tuple(p.message for p in problems if p.field == field.name),
        )
        for field in shown.fields
    )


def submitted_values(
    document: ConfigDocument, profile: str, shown: Tab, changes: Sequence[Change]
) -> dict[str, Any]:
    """The values to show again after a submit: the file's, with the submitted ones over them."""
    values = file_values(document, profile, shown)
    values.update({".".join(change.path): change.value for change in changes})
    return values


def parse_form(shown: Tab, form: Mapping[str, Sequence[str]]) -> tuple[list[Change], list[Problem]]:
    """The changes a submitted tab asks for, and the rows it cannot read (a mapping row without a
    source group, a name given twice). A field missing from the form is left as it is."""
    changes: list[Change] = []
    problems: list[Problem] = []
    for field in shown.fields:
        value = _read(field, form, problems)
        if value is not _ABSENT:
            changes.append(Change(field.path, value))  # type: ignore[arg-type]
    return changes, problems


_ABSENT = object()


def _read(field: Field, form: Mapping[str, Sequence[str]], problems: list[Problem]) -> YamlValue | object:
    name = field.name
    kind = field.kind
    values = list(form.get(name, ()))
    if kind is Kind.BOOL:
        return _ABSENT if not values else any(v not in (FALSE, "") for v in values)
    if kind in (Kind.TABLE, Kind.GROUP_TABLE, Kind.SUCCESSORS):
        keys = list(form.get(f"{name}.key", ()))
        if not keys and f"{name}.key" not in form:
            return _ABSENT
        return _table(field, keys, form, problems)
    if kind is Kind.RENAME:
        if f"{name}.regex" not in form:
            return _ABSENT
        regex = _one(form.get(f"{name}.regex", ()))
        replace = _one(form.get(f"{name}.replace", ()), strip=False)
        if not regex and not replace:
            return None
        if not regex:
            problems.append(Problem(f"{name}.regex", "give a regex for the replacement, or clear both", name))
        return {"regex": regex, "replace": replace}
    if not values:
        return _ABSENT
    text = _one(values, strip=field.path[-1] != "replace")  # a replacement may end in a space
    if kind is Kind.LINES:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind is Kind.OPTIONAL_TEXT:
        return text or None
    if kind is Kind.LIMIT:
        return None if not text else int(text) if _INTEGER.fullmatch(text) else text
    if kind is Kind.PERCENT:
        if not text:
            return None
        return (int(text) if _INTEGER.fullmatch(text) else float(text)) if _NUMBER.fullmatch(text) else text
    return text


def _table(
    field: Field, keys: list[str], form: Mapping[str, Sequence[str]], problems: list[Problem]
) -> YamlValue:
    name = field.name
    values = list(form.get(f"{name}.value", ()))
    extras = list(form.get(f"{name}.extra", ()))
    result: dict[str, Any] = {}
    first_row: dict[str, int] = {}
    for index, raw_key in enumerate(keys):
        key = raw_key.strip()
        value = values[index] if index < len(values) else ""
        extra = extras[index].strip() if index < len(extras) else ""
        if not key:
            if value.strip() or extra:
                problems.append(
                    Problem(
                        name, f"row {index + 1} has a value but no name; give the name or clear the row", name
                    )
                )
            continue
        if key in first_row:
            problems.append(
                Problem(
                    name,
                    f"{key!r} is given twice (rows {first_row[key]} and {index + 1}); give each name once",
                    name,
                )
            )
            continue
        first_row[key] = index + 1
        if field.kind is Kind.TABLE:
            lines = [line.strip() for line in value.splitlines() if line.strip()]
            if lines:
                result[key] = lines[0] if len(lines) == 1 else lines
        elif field.kind is Kind.GROUP_TABLE:
            result[key] = [group.strip() for group in value.split(",") if group.strip()]
        else:
            own = {k: v for k, v in (("project", value.strip()), ("component", extra)) if v}
            if own:
                result[key] = own
    return result


def _one(values: Sequence[str], *, strip: bool = True) -> str:
    text = values[-1] if values else ""
    return text.strip() if strip else text


def _plain(value: Any) -> Any:
    """A round-trip node as plain Python (CommentedMap → dict, quoted strings → str)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _lines(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return _text(value)


__all__ = [
    "FALSE", "TABS", "Field", "FieldView", "Kind", "Row", "Tab", "display", "field_views", "file_values",
    "parse_form", "submitted_values", "tab",
]  # fmt: skip
