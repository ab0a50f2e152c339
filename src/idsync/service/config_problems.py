"""Validate an edited config exactly as `idsync` will load it, and say which field each problem is about.

The check is the loader's own (`idsync.config.loader.parse_config`: YAML, `${ENV}` expansion, the
config models, the cross-references) followed by the rule compilers the engine runs at the start of
every run (`idsync.rules`: a username or rename replacement naming a group its regex lacks, a bad
attribute template). So a change the UI accepts is one `idsync serve` and `idsync sync` accept, and
the messages are the loader's: key path, bad value, what is valid.

Each loader line reads "file: key.path: message". A problem is attached to the profile field its key
path falls under (the longest field path that is a prefix), so the UI can show it at that input; a
problem elsewhere in the file (another profile, a connection) has no field and is shown above the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idsync.config.loader import ConfigFileError, parse_config
from idsync.config.model import IdsyncConfig
from idsync.config.profiles import Profile
from idsync.domain.errors import ConfigError
from idsync.rules.attributes import compile_spec, compile_specs
from idsync.rules.groups import compile_groups
from idsync.rules.scope import compile_scope
from idsync.rules.usernames import compile_username_rule


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the edited file, as the loader words it."""

    path: str
    """The key path in the file (`profiles.p.users.when_removed`), '' for the whole file."""
    message: str
    field: str | None = None
    """The profile field it is about (`users.when_removed`), None when it is not one of the fields."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True, slots=True)
class Checked:
    """The validated config, or the problems that stop it from loading."""

    config: IdsyncConfig | None
    problems: tuple[Problem, ...]


def check_text(
    text: str,
    *,
    name: str,
    base_dir: Path | None,
    env: Mapping[str, str] | None,
    profile: str,
    fields: Iterable[str],
) -> Checked:
    """Load `text` as the loader would and compile `profile`'s rules; problems are matched to `fields`
    (key paths inside the profile)."""
    known = sorted(set(fields), key=len, reverse=True)
    try:
        config = parse_config(text, name=name, base_dir=base_dir, env=env)
    except ConfigFileError as exc:
        prefix = f"{name}: "
        lines = [line.removeprefix(prefix) for line in exc.problems]
        return Checked(None, tuple(_problem(line, profile, known) for line in lines))
    rules = config.profiles.get(profile)
    if rules is None:
        return Checked(config, ())
    problems = tuple(
        _problem(f"profiles.{profile}.{message}", profile, known) for message in rule_problems(rules)
    )
    return Checked(None if problems else config, problems)


def rule_problems(profile: Profile) -> list[str]:
    """What the engine's rule compilers refuse in `profile` ("key.path: message" each)."""
    users = profile.users
    compilers: list[Callable[[], Any]] = [
        lambda: compile_username_rule(users.username),
        lambda: compile_groups(profile),
        lambda: compile_scope(profile.scope),
        lambda: compile_specs(users.custom_attributes, "users.custom_attributes"),
        *(
            (lambda key=key, spec=spec: compile_spec(spec, f"users.attributes.{key}"))
            for key, spec in users.attributes.items()
        ),
    ]
    problems: list[str] = []
    for compile_rule in compilers:
        try:
            compile_rule()
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def _problem(line: str, profile: str, known: list[str]) -> Problem:
    """Split a loader line into key path and message, and find the field it is about."""
    own = f"profiles.{profile}"
    if line.startswith(own + ".") or line.startswith(own + ":"):
        rest = line[len(own) + 1 :] if line.startswith(own + ".") else line[len(own) + 2 :]
        for field in known:
            # a profile-wide check ("profiles.p: leads.by_target names ...") names the field first
            if rest.startswith(field) and rest[len(field) : len(field) + 1] in (".", "[", ":", " "):
                if line.startswith(own + ":"):
                    return Problem(own, rest, field)
                path, _, message = line.partition(": ")
                return Problem(path, message, field)
    path, sep, message = line.partition(": ")
    return Problem(path, message, None) if sep else Problem("", line, None)
