"""Edit one profile's settings in the config file: load, change, validate, review as a diff, write.

The file stays the admin's: comments, quoting, key order and `${ENV}` references are kept
(`idsync.service.config_yaml` edits the raw round-trip tree, never the validated models, so a resolved
secret can never be written back). The flow every front end follows:

    load_document(path)                  the file's text, its SHA-256, whether it can be written
    apply_changes(doc, profile, changes) the edited text, its unified diff, and the loader's problems
    write_edit(edit)                     temp file + fsync + rename, keeping mode and owner — only if
                                         the file still has the digest it was loaded with

`review` and `save` wrap those for a two-step form: the digest of the loaded file travels with the
form, and `save` refuses when the file changed since (`ConfigChanged`), or when the change it would
write is not the one reviewed. A file idsync cannot replace — not writable, in a read-only folder, or
mounted as a single file (a Kubernetes ConfigMap, a Docker bind mount: several replicas read the same
deployed file) — is *read-only*: the edit is still computed and validated, and the diff is what the
admin applies where the file is deployed from (`ConfigReadOnly` if a write is attempted).

Errors:

    ConfigError
    └── EditRejected      the edited file would not load; `problems` say where and what is valid
    Conflict (idsync.service.errors)
    ├── ConfigChanged     the file changed since it was loaded (or is not the reviewed change)
    └── ConfigReadOnly    the file cannot be replaced here; apply the diff by hand
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap

from idsync.config.loader import load_config
from idsync.config.model import IdsyncConfig
from idsync.config.profiles import Profile
from idsync.domain.errors import ConfigError
from idsync.service.config_diff import literal_secrets, unified_diff
from idsync.service.config_problems import Problem, check_text
from idsync.service.config_yaml import (
    YamlValue,
    delete_path,
    dump_tree,
    get_path,
    load_tree,
    same,
    set_path,
    shared_anchor,
)
from idsync.service.context import Context
from idsync.service.errors import Conflict, UnknownName

EDITABLE_SECTIONS = ("users", "groups", "leads", "safety", "schedule")
"""The profile sections the settings pages change (source, targets and scope are edited in the file)."""


class EditRejected(ConfigError):
    """The edited file would not load; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


class ConfigChanged(Conflict):
    """The file is not the one the change was made from."""

    def __init__(self, message: str) -> None:
        super().__init__("config", message)


class ConfigReadOnly(Conflict):
    """idsync cannot replace the file; the diff is to be applied where the file is deployed from."""

    def __init__(self, message: str) -> None:
        super().__init__("config", message)


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """The config file as read: its text, the digest a save compares against, and whether idsync may
    replace it (`read_only` says why not)."""

    path: Path
    text: str
    digest: str
    read_only: str | None

    @property
    def writable(self) -> bool:
        """Whether a save can replace the file here."""
        return self.read_only is None


@dataclass(frozen=True, slots=True)
class Change:
    """Set one key of a profile; `path` is inside the profile (`("users", "username", "regex")`).
    `None` for a key whose default is None removes the key (and any mapping it leaves empty)."""

    path: tuple[str, ...]
    value: YamlValue


@dataclass(frozen=True, slots=True)
class Edit:
    """A change applied to a loaded document: the new text, the diff to review, what the loader says."""

    document: ConfigDocument
    profile: str
    text: str
    diff: str
    """A unified diff (`a/<file>` → `b/<file>`) for `git apply` or `patch -p1`; secret values masked."""
    problems: tuple[Problem, ...]
    config: IdsyncConfig | None
    """The new config as `idsync` will load it (None when there are problems)."""

    @property
    def changed(self) -> bool:
        """Whether the file would change at all."""
        return self.text != self.document.text

    @property
    def digest(self) -> str:
        """SHA-256 of the new text: what `save` checks to write exactly the reviewed change."""
        return _digest(self.text)

    def problems_at(self, field: str) -> tuple[Problem, ...]:
        """The problems about one profile field (for showing them at its input)."""
        return tuple(p for p in self.problems if p.field == field)


def load_document(path: Path) -> ConfigDocument:
    """Read the config file and find out whether it can be replaced here."""
    file = path.resolve()  # a symlinked file is edited where it lives; the link stays
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    return ConfigDocument(file, text, _digest(text), read_only_reason(file))


def read_only_reason(file: Path) -> str | None:
    """Why idsync cannot replace `file` atomically, or None when it can."""
    if not os.access(file, os.W_OK):
        return f"{file} is not writable by the user idsync serve runs as"
    if not os.access(file.parent, os.W_OK | os.X_OK):
        return f"the folder of {file} is not writable, so the file cannot be replaced atomically"
    if file in _mount_points():
        return (
            f"{file} is mounted as a single file (a ConfigMap or bind mount shared by every replica): "
            "change it where it is deployed from"
        )
    return None


def apply_changes(
    document: ConfigDocument,
    profile: str,
    changes: Iterable[Change],
    *,
    env: Mapping[str, str] | None = None,
) -> Edit:
    """The document with `changes` applied to profile `profile`, validated as the loader will."""
    name = document.path.name
    tree = load_tree(document.text, name)
    profiles = tree.get("profiles")
    if not isinstance(profiles, CommentedMap) or profile not in profiles:
        raise UnknownName("profile", profile, profiles or (), what="profile")
    changed = False
    fields = set(editable_fields())
    refused: list[Problem] = []
    for change in changes:
        default = field_default(change.path)
        fields.add(".".join(change.path))
        full = ("profiles", profile, *change.path)
        present, current = get_path(tree, full)
        if present and same(current, change.value):
            continue
        anchor = shared_anchor(tree, full, below=2)
        if anchor is not None:
            refused.append(Problem(".".join(full), f"this part of the file is shared through the YAML anchor "
                                   f"&{anchor}, so changing it here would change every place that uses "
                                   f"*{anchor}; change it in the file", ".".join(change.path)))  # fmt: skip
            continue
        if not present and same(default, change.value):
            continue
        if change.value is None and default is None:
            delete_path(tree, full, keep=2)
        else:
            set_path(tree, full, change.value)
        changed = True
    text = dump_tree(tree, document.text) if changed else document.text
    checked = check_text(
        text, name=str(document.path), base_dir=document.path.parent, env=env, profile=profile, fields=fields
    )
    diff = unified_diff(document.text, text, name, literal_secrets(tree))
    problems = (*refused, *checked.problems)
    return Edit(document, profile, text, diff, problems, None if refused else checked.config)


def review(
    path: Path,
    profile: str,
    changes: Iterable[Change],
    *,
    base_digest: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Edit:
    """Load the file and apply `changes`; ConfigChanged when it is no longer the `base_digest` one."""
    document = load_document(path)
    if base_digest is not None and document.digest != base_digest:
        raise ConfigChanged(
            f"{path.name} changed since these settings were loaded (another admin, or a deploy): "
            "nothing was saved; reload the page to start from the file as it is now"
        )
    return apply_changes(document, profile, changes, env=env)


def save(
    path: Path,
    profile: str,
    changes: Iterable[Change],
    *,
    base_digest: str,
    reviewed_digest: str,
    env: Mapping[str, str] | None = None,
) -> Edit:
    """Write the reviewed change: the same changes on the same file must give the text whose digest
    was reviewed; raises EditRejected, ConfigChanged or ConfigReadOnly and then writes nothing."""
    edit = review(path, profile, changes, base_digest=base_digest, env=env)
    if edit.problems:
        raise EditRejected(edit.problems)
    if edit.digest != reviewed_digest:
        raise ConfigChanged("the change to save is not the one reviewed: nothing was saved; review it again")
    write_edit(edit)
    return edit


def write_edit(edit: Edit) -> None:
    """Replace the file by the edited text atomically (same folder, mode and, when allowed, owner),
    after checking it still holds the text the edit was made from."""
    document = edit.document
    if edit.problems:
        raise EditRejected(edit.problems)
    if document.read_only is not None:
        raise ConfigReadOnly(f"{document.read_only}; apply the diff by hand")
    file = document.path
    try:
        now = file.read_bytes().decode("utf-8")
        info = file.stat()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigChanged(f"{file.name} cannot be read any more ({exc}): nothing was saved") from None
    if _digest(now) != document.digest:
        raise ConfigChanged(f"{file.name} changed since it was loaded: nothing was saved; reload and redo")
    fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(edit.text.encode("utf-8"))
            out.flush()
            os.fchmod(out.fileno(), info.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):  # not root: the file is ours, in the same mode
                os.fchown(out.fileno(), info.st_uid, info.st_gid)
            os.fsync(out.fileno())
        os.replace(temp, file)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ConfigReadOnly(
            f"{file} could not be replaced ({exc.strerror}); apply the diff by hand"
        ) from None
    _fsync_folder(file.parent)


def reload_context(ctx: Context, path: Path) -> Context:
    """The server's context with the config as the file now says (after a save), over the same store:
    later requests that take this context see the new settings."""
    return dataclasses.replace(ctx, config=load_config(path), path=path)


def editable_fields() -> list[str]:
    """Every key path (inside a profile) the settings can change, for matching problems to fields."""
    found: list[str] = []

    def walk(model: type[BaseModel], prefix: tuple[str, ...]) -> None:
        for key, info in model.model_fields.items():
            path = (*prefix, key)
            found.append(".".join(path))
            inner = _model_of(info.annotation)
            if inner is not None:
                walk(inner, path)

    for section in EDITABLE_SECTIONS:
        inner = _model_of(Profile.model_fields[section].annotation)
        found.append(section)
        if inner is not None:
            walk(inner, (section,))
    return found


def field_default(path: Sequence[str]) -> Any:
    """The models' default for the key at `path` inside a profile, as a plain value; a path that is
    not a settings key is a ConfigError naming the valid keys."""
    if not path or path[0] not in EDITABLE_SECTIONS:
        raise ConfigError(
            f"{'.'.join(path) or '(empty)'}: not a setting the UI edits; "
            f"valid sections: {', '.join(EDITABLE_SECTIONS)}"
        )
    model: type[BaseModel] = Profile
    for index, key in enumerate(path):
        fields = model.model_fields
        if key not in fields:
            where = ".".join(path[:index])
            raise ConfigError(f"{where}: unknown key {key!r}; valid keys: {', '.join(fields)}")
        info = fields[key]
        if index == len(path) - 1:
            default = info.get_default(call_default_factory=True)
            return default.model_dump() if isinstance(default, BaseModel) else default
        inner = _model_of(info.annotation)
        if inner is None:
            raise ConfigError(f"{'.'.join(path[: index + 1])}: not a mapping of keys")
        model = inner
    raise AssertionError("unreachable")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class behind `Model` or `Model | None`, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return members[0] if len(members) == 1 else None
    return None


def _mount_points() -> set[Path]:
    """Mount points of this process; empty where the mount table is not there (not Linux).

    Linux lists a process's mounts in /proc/self/mountinfo (proc(5)): one line per mount, fields
    separated by spaces, the mount point in the fifth, with special characters octal-escaped (`\\040`
    for a space) — hence the unicode_escape decoding. A config file that is itself a mount point (a
    Kubernetes ConfigMap item, a Docker bind mount) cannot be replaced by rename (docs/ui.md)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return set()
    points = set()
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:
            points.add(Path(fields[4].encode().decode("unicode_escape")))
    return points


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every file system allows fsync on a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
