"""Okta's filter / search expression language: parse once, check the
endpoint's rules (a `Dialect`), compile to a predicate.

    expr  := and ("or" and)*          precedence: comparison > () > and > or
    and   := unary ("and" unary)*
    unary := "not" unary | "(" expr ")" | attr op value | attr "pr"

Attribute names are case-sensitive; operators case-insensitive; values are JSON strings (with \\"),
numbers, true/false/null."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from idsync.sandbox.okta.model import iso

OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr"})
_TOKEN = re.compile(r'\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*")|([^\s()"]+))')


class QueryError(ValueError):
    """An expression that does not parse or that the endpoint does not support."""


@dataclass(frozen=True, slots=True)
class Compare:
    """`attr op value` (value None for `pr`)."""

    attr: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Logical:
    """`left and|or right`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not:
    """`not expr`."""

    expr: Node


Node = Compare | Logical | Not


def _tokens(text: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryError(f"cannot read the expression at position {pos}: {text[pos : pos + 20]!r}")
        pos = match.end()
        if match.group(1):
            result.append(("(", "("))
        elif match.group(2):
            result.append((")", ")"))
        elif match.group(3):
            result.append(("str", match.group(3)))
        else:
            result.append(("word", match.group(4)))
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("the expression ends too early")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def expr(self) -> Node:
        node = self.conj()
        while self.keyword("or"):
            node = Logical("or", node, self.conj())
        return node

    def conj(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = Logical("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            return Not(self.unary())
        kind, text = self.take()
        if kind == "(":
            node = self.expr()
            if self.take()[0] != ")":
                raise QueryError("a '(' is not closed")
            return node
        if kind != "word":
            raise QueryError(f"expected an attribute name, found {text!r}")
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word" or op not in OPERATORS:
            raise QueryError(f"unknown operator {op!r} after {text!r}; valid: {sorted(OPERATORS)}")
        if op == "pr":
            return Compare(text, op, None)
        return Compare(text, op, self.value(self.take()))

    @staticmethod
    def value(token: tuple[str, str]) -> Any:
        kind, text = token
        if kind == "str":
            return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            raise QueryError(f"the value {text!r} must be a double-quoted string") from None


def parse(text: str) -> Node:
    """Parse an expression or raise QueryError saying what is wrong."""
    parser = _Parser(text)
    if not parser.tokens:
        raise QueryError("the expression is empty")
    node = parser.expr()
    if parser.peek() is not None:
        raise QueryError(f"unexpected {parser.peek()[1]!r} after a complete expression")  # type: ignore[index]
    return node


@dataclass(frozen=True)
class Dialect:
    """What one endpoint's `filter` or `search` accepts, and how it compares values."""

    name: str
    attributes: Callable[[str], bool]
    """Whether an attribute may appear at all."""
    operators: Callable[[str, str], bool]
    """Whether `attr op` is allowed."""
    case_insensitive: bool
    allow_not: bool
    dates: frozenset[str]


def normalise_date(attr: str, value: Any) -> str:
    """Dates compare as Okta's canonical text; accept any ISO 8601 form a client sends."""
    if not isinstance(value, str):
        raise QueryError(f'{attr} needs a date string like "2024-01-01T00:00:00.000Z", got {value!r}')
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f'{attr}: {value!r} is not a date like "2024-01-01T00:00:00.000Z"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment.astimezone(UTC))


Getter = Callable[[Any, str], Any]
Predicate = Callable[[Any], bool]


def compile_query(text: str, dialect: Dialect, getter: Getter) -> Predicate:
    """Parse, check against `dialect`, and return a predicate over records read through `getter`."""
    return _compile(parse(text), dialect, getter)


def _compile(node: Node, dialect: Dialect, getter: Getter) -> Predicate:
    if isinstance(node, Logical):
        left, right = _compile(node.left, dialect, getter), _compile(node.right, dialect, getter)
        if node.op == "and":
            return lambda record: left(record) and right(record)
        return lambda record: left(record) or right(record)
    if isinstance(node, Not):
        if not dialect.allow_not:
            raise QueryError(f"'not' is not supported in {dialect.name}")
        inner = _compile(node.expr, dialect, getter)
        return lambda record: not inner(record)
    attr, op, value = node.attr, node.op, node.value
    if not dialect.attributes(attr):
        raise QueryError(f"the attribute {attr!r} is not supported in {dialect.name}")
    if not dialect.operators(attr, op):
        raise QueryError(f"the operator {op!r} is not supported for {attr!r} in {dialect.name}")
    if attr in dialect.dates and op != "pr":
        value = normalise_date(attr, value)
    fold = dialect.case_insensitive
    if fold and isinstance(value, str):
        value = value.casefold()
    test = _OPS[op]

    def predicate(record: Any) -> bool:
        actual = getter(record, attr)
        values = actual if isinstance(actual, list) else [actual]
        for item in values:
            if fold and isinstance(item, str):
                item = item.casefold()
            if test(item, value):
                return True
        return False

    return predicate


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if actual is None or expected is None or type(actual) is not type(expected):
            return False
        return test(actual, expected)

    return compare


def _text(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda actual, expected: (
        isinstance(actual, str) and isinstance(expected, str) and test(actual, expected)
    )


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, expected: actual == expected,
    "ne": lambda actual, expected: actual != expected,
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
    "sw": _text(str.startswith),
    "ew": _text(str.endswith),
    "co": _text(lambda a, b: b in a),
    "pr": lambda actual, expected: actual is not None and actual != "",
}
