"""Read idsync.yaml: find the file, parse YAML, expand `${ENV}`, validate, report every problem at once.

Every failure is one `ConfigFileError` (a `ConfigError`, exit 2) whose message has one line per
problem, each starting with the file name:

    idsync.yaml: profiles.okta-to-jira.users.when_removed: 'disable' is not valid;
        valid: deactivate, delete, ignore      (one line in the message)

Secrets never reach a message: values of SecretStr fields are shown as '***', and any text that came
from an environment variable is shown as its `${NAME}` reference instead.

`${NAME}` expands only upper-case names (`[A-Z_][A-Z0-9_]*`, the environment-variable convention), so
`replace: "${name}"` in a username or rename rule still refers to the regex group `name`; `$${NAME}`
writes a literal `${NAME}`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from idsync.config.example import EXAMPLE_CONFIG
from idsync.config.messages import describe
from idsync.config.model import (
    BASE_DIR_CONTEXT,
    CROSS_REFERENCE_ERROR,
    DEFAULT_DATABASE,
    IdsyncConfig,
    raw_reference_problems,
    resolve_database_url,
)
from idsync.domain.errors import ConfigError

CONFIG_ENV = "IDSYNC_CONFIG"
DEFAULT_CONFIG = Path("idsync.yaml")
_ENV_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Z_][A-Z0-9_]*)\}")
_MIN_SCRUB = 4
"""Environment values shorter than this are not scrubbed from messages (they are not secrets, and
scrubbing "1" would garble every number)."""


class ConfigFileError(ConfigError):
    """A config file is wrong; `problems` holds one "file: path: message" line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping instead of keeping the last silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def config_path(path: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file to use: the argument, else $IDSYNC_CONFIG, else ./idsync.yaml."""
    if path is not None:
        return path
    environ = os.environ if env is None else env
    from_env = environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else DEFAULT_CONFIG


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> IdsyncConfig:
    """Load and validate the config file; raises ConfigFileError listing every problem."""
    environ = os.environ if env is None else env
    file = config_path(path, environ)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError([
            f"{file}: no such config file; pass --config FILE, set {CONFIG_ENV}, "
            "or create one with `idsync init`"
        ]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError([f"{file}: cannot read the config file ({exc})"]) from None
    return parse_config(text, name=str(file), base_dir=file.resolve().parent, env=environ)


def load_database_url(path: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Only the `database` URL of the config file, for commands that need nothing else (`idsync
    history`): the connections' `${ENV}` secrets need not be set to read the history."""
    environ = os.environ if env is None else env
    file = config_path(path, environ)
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigFileError([f"{file}: no such config file; pass --config FILE or set {CONFIG_ENV}"]) from None  # noqa: E501
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigFileError([f"{file}: cannot read the config file ({type(exc).__name__})"]) from None
    raw = data.get("database", DEFAULT_DATABASE) if isinstance(data, dict) else DEFAULT_DATABASE
    expansion = _Expansion(environ)
    value = expansion.expand(raw, ("database",))
    if expansion.missing or not isinstance(value, str):
        problems = expansion.missing or ["database: must be a database URL such as sqlite:///idsync.db"]
        raise ConfigFileError([f"{file}: {line}" for line in problems])
    try:
        return resolve_database_url(value, file.resolve().parent)
    except ValueError as exc:
        raise ConfigFileError([f"{file}: database: {exc}"]) from None


def parse_config(
    text: str,
    *,
    name: str = "idsync.yaml",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> IdsyncConfig:
    """Validate config text; `name` labels messages, `base_dir` anchors a relative SQLite path."""
    environ = os.environ if env is None else env
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise ConfigFileError([f"{name}: YAML syntax error{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError([f"{name}: YAML syntax error: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError([
            f"{name}: the file must hold a mapping with keys such as database:, connections:, "
            f"profiles:, got a {type(data).__name__}"
        ])
    expansion = _Expansion(environ)
    expanded = expansion.expand(data, ())
    if expansion.missing:
        raise ConfigFileError([f"{name}: {line}" for line in expansion.missing])
    context = {BASE_DIR_CONTEXT: base_dir} if base_dir is not None else {}
    try:
        return IdsyncConfig.model_validate(expanded, context=context)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        lines = [line for error in errors for line in describe(error)]
        if not any(error["type"] == CROSS_REFERENCE_ERROR for error in errors):
            # Pydantic skips the whole-file checks when a field failed; run them on the raw data so
            # one pass reports every problem.
            lines += [f"{path}: {message}" for path, message in raw_reference_problems(expanded)]
        raise ConfigFileError([f"{name}: {expansion.scrub(line)}" for line in lines]) from None


def dump_example() -> str:
    """A commented example config (for `idsync init` and the README); it loads once OKTA_TOKEN and
    JIRA_PAT are set."""
    return EXAMPLE_CONFIG


class _Expansion:
    """`${NAME}` substitution over parsed YAML, remembering what to hide and what was missing."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.missing: list[str] = []
        self._substituted: dict[str, str] = {}
        """Substituted value → its `${NAME}` reference, for scrubbing messages."""

    def expand(self, value: Any, path: tuple[str, ...]) -> Any:
        """A copy of `value` with every string expanded."""
        if isinstance(value, dict):
            return {key: self.expand(item, (*path, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [self._expand_item(item, path, index) for index, item in enumerate(value)]
        if isinstance(value, str):
            return _ENV_REFERENCE.sub(lambda match: self._replace(match, path), value)
        return value

    def _expand_item(self, item: Any, path: tuple[str, ...], index: int) -> Any:
        indexed = (*path[:-1], f"{path[-1]}[{index}]") if path else (f"[{index}]",)
        return self.expand(item, indexed)

    def _replace(self, match: re.Match[str], path: tuple[str, ...]) -> str:
        name = match.group(1)
        if name is None:
            return "${"  # `$${` escapes a literal `${`
        where = ".".join(path) or "(top level)"
        value = self._env.get(name)
        if value is None:
            self.missing.append(f"{where}: environment variable {name} is not set")
            return match.group(0)
        if value == "":
            self.missing.append(f"{where}: environment variable {name} is empty")
            return match.group(0)
        if len(value) >= _MIN_SCRUB:
            self._substituted[value] = "${" + name + "}"
        return value

    def scrub(self, message: str) -> str:
        """Replace every environment value in `message` by its reference, longest values first."""
        for value in sorted(self._substituted, key=len, reverse=True):
            message = message.replace(value, self._substituted[value])
        return message
