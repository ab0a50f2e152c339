"""Target fields from source attributes — a plain attribute name, a template such as
`{firstName} {lastName}`, or a list of either as fallbacks (the first whose placeholders are all
non-empty wins)."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from idsync.domain.errors import ConfigError
from idsync.domain.records import AttrValue, SourceUser


def text(value: AttrValue) -> str | None:
    """A raw attribute value as trimmed text; None when missing or empty. A multi-valued (LDAP) value
    gives its first non-empty element; booleans are written `true` / `false`."""
    if type(value) is str:  # nearly every value: one test instead of three
        stripped = value.strip()
        return stripped or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        for element in value:
            found = text(element)
            if found is not None:
                return found
        return None
    result = str(value).strip()
    return result or None


@dataclass(frozen=True, slots=True)
class Template:
    """One alternative: literal text and attribute placeholders, in order."""

    parts: tuple[tuple[str, str | None], ...]
    """(literal text, attribute name or None)."""

    def render(self, user: SourceUser) -> str | None:
        """The rendered text, or None when a placeholder's attribute is missing or empty."""
        if len(self.parts) == 1 and not self.parts[0][0]:
            # a plain attribute name, the usual rule: its trimmed text (the rules meet every user's)
            name = self.parts[0][1]
            return None if name is None else text(user.attributes.get(name))
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name is not None:
                value = text(user.attr(name))
                if value is None:
                    return None
                out.append(value)
        result = "".join(out).strip()
        return result or None


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """A compiled attribute rule: alternatives tried in order."""

    alternatives: tuple[Template, ...]

    def resolve(self, user: SourceUser) -> str | None:
        """The first alternative that renders with every placeholder filled, else None."""
        for template in self.alternatives:
            value = template.render(user)
            if value is not None:
                return value
        return None


def compile_spec(spec: str | Sequence[str], field: str) -> AttributeSpec:
    """Compile a config value (attribute name, template or list of them); a malformed template is a
    ConfigError naming `field`, the value and what a valid one looks like."""
    items = [spec] if isinstance(spec, str) else list(spec)
    if not items:
        raise ConfigError(f"{field}: empty list; give an attribute name or a template like '{{firstName}}'")
    return AttributeSpec(tuple(_compile_one(item, f"{field}[{i}]" if len(items) > 1 else field)
                               for i, item in enumerate(items)))


def _compile_one(item: str, field: str) -> Template:
    if "{" not in item and "}" not in item:
        name = item.strip()
        if not name:
            raise ConfigError(
                f"{field}: empty attribute name; give e.g. 'email' or '{{firstName}} {{lastName}}'"
            )
        return Template((("", name),))
    parts: list[tuple[str, str | None]] = []
    try:
        parsed = list(string.Formatter().parse(item))
    except ValueError as exc:
        raise ConfigError(
            f"{field}: malformed template {item!r} ({exc}); write placeholders as {{attribute}} "
            "and a literal brace as {{{{ or }}}}"
        ) from exc
    for literal, placeholder, spec, conversion in parsed:
        if placeholder is not None and (spec or conversion):
            raise ConfigError(
                f"{field}: {item!r} uses a format spec or conversion; only plain {{attribute}} is valid"
            )
        if placeholder == "":
            raise ConfigError(f"{field}: {item!r} has an empty placeholder {{}}; name an attribute inside")
        parts.append((literal, placeholder))
    return Template(tuple(parts))


def compile_specs(specs: Mapping[str, str | Sequence[str]], prefix: str) -> dict[str, AttributeSpec]:
    """Compile every entry of a `target field → spec` mapping, naming `prefix.field` in errors."""
    return {name: compile_spec(spec, f"{prefix}.{name}") for name, spec in specs.items()}
