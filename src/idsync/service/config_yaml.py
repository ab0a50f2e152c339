"""The config file as a ruamel.yaml round-trip tree: load, change one key, dump — keeping comments,
quoting, flow or block style and `${ENV}` references exactly as the admin wrote them.

Why a tree and not the validated models: the models hold *expanded* values (a `${JIRA_PAT}` already
replaced by the secret) and no comments, so writing them back would both leak secrets into the file
and drop everything a person wrote around the values. The tree holds the raw text's values; only the
keys a change names are touched, and a value equal to what is there already keeps its node (and so
its quoting and its comment).

The output's indentation follows the file's own (guessed from its first nested mapping and its first
block sequence), so a file indented by 4, or with `- item` lists indented under their key, is not
re-indented as a whole when one key changes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from idsync.domain.errors import ConfigError

YamlValue = str | int | float | bool | None | list[Any] | dict[str, Any]
"""A plain value a change writes: scalars, lists and string-keyed mappings of them."""

_KEY_ONLY = re.compile(r"^( *)[^#\s-][^#]*:\s*(#.*)?$")
_DEFAULT_INDENT = 2


def _yaml(text: str) -> YAML:
    """A round-trip YAML instance set up to write `text` back in its own indentation."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long regex or template onto two lines
    mapping = _mapping_indent(text)
    try:
        _, sequence, offset = load_yaml_guess_indent(text)
    except YAMLError:
        sequence, offset = None, None
    if offset is None:  # no block sequence in the file: write new ones as `- x` under the key
        sequence, offset = mapping, 0
    yaml.indent(mapping=mapping, sequence=sequence or mapping, offset=offset)
    yaml.Representer = _Representer
    return yaml


class _Representer(RoundTripRepresenter):
    """Writes `key: null`, as the docs write "no limit", rather than ruamel's bare `key:`, which reads
    like a value someone forgot."""

    def represent_none(self, data: None) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def _mapping_indent(text: str) -> int:
    """The indentation of the first nested mapping (ruamel guesses only sequences when it sees one)."""
    parent: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if parent is not None and not stripped.startswith("- ") and indent > parent:
            return indent - parent
        found = _KEY_ONLY.match(line)
        parent = len(found.group(1)) if found else None
    return _DEFAULT_INDENT


def load_tree(text: str, name: str) -> CommentedMap:
    """The round-trip tree of a config file's text; a file that is not a YAML mapping is a ConfigError."""
    try:
        tree = _yaml(text).load(text)
    except YAMLError as exc:
        raise ConfigError(f"{name}: YAML syntax error: {exc}") from None
    if tree is None:
        return CommentedMap()
    if not isinstance(tree, CommentedMap):
        raise ConfigError(f"{name}: the file must hold a mapping with keys such as profiles:")
    return tree


def dump_tree(tree: CommentedMap, original: str) -> str:
    """The tree as text, in the indentation of `original`."""
    out = io.StringIO()
    _yaml(original).dump(tree, out)
    return out.getvalue()


def get_path(tree: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    """(True, value) when every key of `path` is present, else (False, None)."""
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def shared_anchor(tree: Mapping[str, Any], path: Sequence[str], *, below: int) -> str | None:
    """The YAML anchor (`&name`) of a mapping or list on the way to `path` (from depth `below` on),
    or None. Such a node is shared by every alias (`*name`) of it: changing it for one profile would
    change it for the others too."""
    node: Any = tree
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
        anchor = getattr(node, "anchor", None)
        if depth + 1 >= below and isinstance(node, CommentedMap | CommentedSeq) and anchor is not None \
                and anchor.value:  # fmt: skip
            return str(anchor.value)
    return None


def set_path(tree: CommentedMap, path: Sequence[str], value: YamlValue) -> None:
    """Set the key at `path` (creating the mappings on the way) to `value`, merged into what is there."""
    node = tree
    for depth, key in enumerate(path[:-1]):
        child = node.get(key)
        if child is None:
            child = CommentedMap()
            node[key] = child
        elif not isinstance(child, CommentedMap):
            where = ".".join(path[: depth + 1])
            raise ConfigError(f"{where}: expected a mapping of keys in the config file, got {child!r}")
        node = child
    last = path[-1]
    node[last] = merge(node[last], value) if last in node else fresh(value)


def delete_path(tree: CommentedMap, path: Sequence[str], *, keep: int) -> None:
    """Remove the key at `path`, then every mapping it leaves empty, keeping the first `keep` keys'
    mappings (`keep=2`: never the profile itself)."""
    chain: list[CommentedMap] = [tree]
    for key in path[:-1]:
        child = chain[-1].get(key)
        if not isinstance(child, CommentedMap):
            return
        chain.append(child)
    if path[-1] not in chain[-1]:
        return
    del chain[-1][path[-1]]
    for depth in range(len(path) - 1, keep, -1):
        if chain[depth]:
            break
        del chain[depth - 1][path[depth - 1]]


def merge(old: Any, new: YamlValue) -> Any:
    """`new` as a node that keeps as much of `old` as is unchanged: equal values keep their node,
    mappings keep the entries (and comments) of unchanged keys, strings keep their quote style,
    lists and mappings keep flow or block style."""
    if same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            old[key] = merge(old[key], value) if key in old else fresh(value)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        seq = CommentedSeq([merge(old[i], v) if i < len(old) else fresh(v) for i, v in enumerate(new)])
        if old.fa.flow_style():
            seq.fa.set_flow_style()
        else:
            seq.fa.set_block_style()
        return seq
    if isinstance(new, str):
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(new)
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(new)
    return fresh(new)


def fresh(value: YamlValue) -> Any:
    """A new node for `value`: short lists of scalars in flow style (`[a, b]`, as the docs write
    them), everything else in block style."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = fresh(item)
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq([fresh(item) for item in value])
        if all(not isinstance(item, dict | list) for item in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "$" in value:
        return DoubleQuotedScalarString(value)  # `$1`, `${name}`: quoted, as the docs write them
    return value


def same(old: Any, new: Any) -> bool:
    """Equal as YAML values (True is not 1, a string is not a number)."""
    if isinstance(new, bool) or isinstance(old, bool):
        return isinstance(new, bool) and isinstance(old, bool) and old == new
    if isinstance(new, str) or isinstance(old, str):
        return isinstance(new, str) and isinstance(old, str) and str(old) == new
    if isinstance(new, dict):
        return (
            isinstance(old, Mapping) and set(old) == set(new) and all(same(old[k], v) for k, v in new.items())
        )
    if isinstance(new, list):
        return (
            isinstance(old, list)
            and len(old) == len(new)
            and all(same(o, n) for o, n in zip(old, new, strict=True))
        )
    return bool(old == new)
