"""Regex rewrites with `$1`, `${1}` and `${name}` references, as admins write them in the config.

Used by the username rule (`users.username`) and the on-the-fly group rename (`groups.rename`). The
semantics are those of a single `s/regex/replace/` substitution: the first match of `regex` anywhere
in the value is replaced by the expanded `replace`; the rest of the value is kept. A value the regex
does not match is left as it is (so `(.*)@.*` → `$1` turns `ann@example.com` into `ann` and leaves
`ann` unchanged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from idsync.domain.errors import ConfigError

_REFERENCE = re.compile(r"\$(?:(\d+)|\{(\w+)\}|(\$))")
"""`$1`, `${1}`, `${name}`, and `$$` for a literal dollar sign."""


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A compiled regex and its replacement."""

    pattern: re.Pattern[str]
    parts: tuple[str | int, ...]
    """The replacement text, split once into literal text (str) and group references (the group's
    index, also for `${name}`): expanding it for a value is a join, not a regex substitution with a
    callback (the username rule runs once for every source user)."""

    def apply(self, value: str) -> str | None:
        """The rewritten value, or None when the regex does not match `value`."""
        match = self.pattern.search(value)
        if match is None:
            return None
        expanded = "".join(part if type(part) is str else (match.group(part) or "") for part in self.parts)
        return value[: match.start()] + expanded + value[match.end() :]


def compile_rewrite(regex: str, replace: str, field: str) -> Rewrite:
    """Compile and check a rewrite; a reference to a group the regex lacks is a ConfigError naming
    `field` (the config key path), the reference and the groups that do exist."""
    try:
        pattern = re.compile(regex)
    except re.error as exc:
        raise ConfigError(f"{field}.regex: not a valid regular expression ({exc}): {regex!r}") from exc
    return Rewrite(pattern, _parts(replace, pattern, field))


def _parts(replace: str, pattern: re.Pattern[str], field: str) -> tuple[str | int, ...]:
    """`replace` as literal text and group indices (`${name}` by its index in `pattern`; `$$` is a
    literal dollar sign), for `Rewrite.apply`; a reference to a group `pattern` lacks is a ConfigError."""
    parts: list[str | int] = []
    position = 0
    for ref in _REFERENCE.finditer(replace):
        if ref.start() > position:
            parts.append(replace[position:ref.start()])
        position = ref.end()
        if ref.group(3) is not None:
            parts.append("$")
            continue
        key = ref.group(1) or ref.group(2)
        index = int(key) if key.isdigit() else pattern.groupindex.get(key)
        if index is None or index > pattern.groups:
            names = ", ".join(f"${{{name}}}" for name in pattern.groupindex) or "no named groups"
            raise ConfigError(
                f"{field}.replace: {ref.group(0)!r} in {replace!r} refers to no group of regex "
                f"{pattern.pattern!r}; valid: $0..${pattern.groups} and {names}"
            )
        parts.append(index)
    if position < len(replace):
        parts.append(replace[position:])
    return tuple(parts)
