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
    """A compiled regex + replacement pair."""

    pattern: re.Pattern[str]
    replace: str

    def apply(self, value: str) -> str | None:
        """The rewritten value, or None when the regex does not match `value`."""
        match = self.pattern.search(value)
        if match is None:
            return None

        def expand(ref: re.Match[str]) -> str:
            if ref.group(3) is not None:
                return "$"
            key = ref.group(1) or ref.group(2)
            group: int | str = int(key) if key.isdigit() else key
            return match.group(group) or ""

        return value[: match.start()] + _REFERENCE.sub(expand, self.replace) + value[match.end() :]


def compile_rewrite(regex: str, replace: str, field: str) -> Rewrite:
    """Compile and check a rewrite; a reference to a group the regex lacks is a ConfigError naming
    `field` (the config key path), the reference and the groups that do exist."""
    try:
        pattern = re.compile(regex)
    except re.error as exc:
        raise ConfigError(f"{field}.regex: not a valid regular expression ({exc}): {regex!r}") from exc
    for ref in _REFERENCE.finditer(replace):
        if ref.group(3) is not None:
            continue
        key = ref.group(1) or ref.group(2)
        valid = int(key) <= pattern.groups if key.isdigit() else key in pattern.groupindex
        if not valid:
            names = ", ".join(f"${{{name}}}" for name in pattern.groupindex) or "no named groups"
            raise ConfigError(
                f"{field}.replace: {ref.group(0)!r} in {replace!r} refers to no group of regex {regex!r}; "
                f"valid: $0..${pattern.groups} and {names}"
            )
    return Rewrite(pattern, replace)
