"""A small Crowd Query Language evaluator for GET /search `restriction=`: comparisons joined by `and`
/ `or` (and binds tighter), parentheses, quoted or bare values, `*` wildcards in string values.

    restriction := term ("or" term)*      term := factor ("and" factor)*
    factor      := "(" restriction ")" | field op value      op := = != > < >= <=

String comparisons ignore case (Crowd matches names case-insensitively); inside a quoted value `\\"`
and `\\\\` stand for a quote and a backslash. Dates are ISO dates or date-times. Anything else is a
400 (the reason Crowd gives for bad CQL is unverified; this emulator says ILLEGAL_ARGUMENT).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from idsync.sandbox.atlassian.crowd.web import CrowdError

Predicate = Callable[[Any], bool]
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(!=|>=|<=|=|>|<)|"((?:[^"\\]|\\.)*)"|([^\s()=!<>"]+))')

USER_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", "str"),
    "email": ("email", "str"),
    "firstname": ("first_name", "str"),
    "lastname": ("last_name", "str"),
    "displayname": ("display_name", "str"),
    "active": ("active", "bool"),
    "createddate": ("created", "date"),
    "updateddate": ("updated", "date"),
}
GROUP_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", "str"),
    "description": ("description", "str"),
    "active": ("active", "bool"),
    "createddate": ("created", "date"),
    "updateddate": ("updated", "date"),
}


def _bad(message: str) -> CrowdError:
    return CrowdError(400, "ILLEGAL_ARGUMENT", f"Invalid restriction: {message}")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _bad(f"unexpected character at position {position}: {text[position : position + 10]!r}")
        opened, closed, op, quoted, bare = match.groups()
        if opened:
            tokens.append(("(", opened))
        elif closed:
            tokens.append((")", closed))
        elif op:
            tokens.append(("op", op))
        elif quoted is not None:
            tokens.append(("value", re.sub(r"\\(.)", r"\1", quoted)))
        else:
            tokens.append(("word", bare))
        position = match.end()
    return tokens


def _compare_str(op: str, value: str) -> Callable[[str], bool]:
    wanted = value.lower()
    if op in ("=", "!=") and "*" in wanted:
        pattern = re.compile("^" + ".*".join(re.escape(part) for part in wanted.split("*")) + "$", re.DOTALL)
        matches: Callable[[str], bool] = lambda actual: pattern.match(actual.lower()) is not None  # noqa: E731
    else:
        matches = lambda actual: actual.lower() == wanted  # noqa: E731
    ordering: dict[str, Callable[[str], bool]] = {
        "=": matches,
        "!=": lambda actual: not matches(actual),
        ">": lambda actual: actual.lower() > wanted,
        "<": lambda actual: actual.lower() < wanted,
        ">=": lambda actual: actual.lower() >= wanted,
        "<=": lambda actual: actual.lower() <= wanted,
    }
    return ordering[op]


def _compare_date(op: str, value: str) -> Callable[[datetime], bool]:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(f"{value!r} is not a date (use 2024-01-31 or 2024-01-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ordering: dict[str, Callable[[datetime], bool]] = {
        "=": lambda actual: actual == moment,
        "!=": lambda actual: actual != moment,
        ">": lambda actual: actual > moment,
        "<": lambda actual: actual < moment,
        ">=": lambda actual: actual >= moment,
        "<=": lambda actual: actual <= moment,
    }
    return ordering[op]


class _Parser:
    def __init__(self, text: str, fields: dict[str, tuple[str, str]]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.fields = fields

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _bad("the restriction ends too early")
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.at += 1
            return True
        return False

    def restriction(self) -> Predicate:
        terms = [self.term()]
        while self.keyword("or"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else (lambda entity: any(t(entity) for t in terms))

    def term(self) -> Predicate:
        factors = [self.factor()]
        while self.keyword("and"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else (lambda entity: all(f(entity) for f in factors))

    def factor(self) -> Predicate:
        kind, text = self.take()
        if kind == "(":
            inner = self.restriction()
            if self.take()[0] != ")":
                raise _bad("a '(' is not closed")
            return inner
        if kind != "word":
            raise _bad(f"expected a field name, got {text!r}")
        spec = self.fields.get(text.lower())
        if spec is None:
            raise _bad(f"unknown field {text!r}; valid: {', '.join(sorted(self.fields))}")
        op_kind, op = self.take()
        if op_kind != "op":
            raise _bad(f"expected an operator after {text!r}, got {op!r}")
        value_kind, value = self.take()
        if value_kind not in ("value", "word"):
            raise _bad(f"expected a value after {text} {op}")
        attribute, kind_of = spec
        if kind_of == "bool":
            if op not in ("=", "!=") or value.lower() not in ("true", "false"):
                raise _bad(f"{text} compares with = or != to true or false")
            expected = (value.lower() == "true") == (op == "=")
            return lambda entity: bool(getattr(entity, attribute)) == expected
        if kind_of == "date":
            check_date = _compare_date(op, value)
            return lambda entity: check_date(getattr(entity, attribute))
        check = _compare_str(op, value)
        return lambda entity: check(getattr(entity, attribute) or "")


def parse(text: str, fields: dict[str, tuple[str, str]]) -> Predicate:
    """A predicate over users or groups for a CQL restriction; 400 for anything it cannot read."""
    if not text.strip():
        return lambda entity: True
    parser = _Parser(text, fields)
    predicate = parser.restriction()
    if parser.peek() is not None:
        raise _bad(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return predicate
