"""Which source users take part — include / exclude group regexes and statuses.

Group regexes are searched (not fully matched) in source group names, as the config examples
(`^jira-`) expect. Exclusion wins over inclusion. An empty include list means everyone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from idsync.config.profiles import ScopeRules
from idsync.domain.records import Reason, SourceUser


@dataclass(frozen=True, slots=True)
class ScopeFilter:
    """A compiled scope rule."""

    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]
    statuses: frozenset[str] | None

    def check(self, user: SourceUser, group_names: Sequence[str]) -> Reason | None:
        """Why `user` (a member of `group_names`) is in scope, or None when the scope leaves them out."""
        if self.statuses is not None and user.status not in self.statuses:
            return None
        if not self.include and not self.exclude:
            return _by_status(user.status)
        for name in sorted(group_names):
            if any(p.search(name) for p in self.exclude):
                return None
        if not self.include:
            return _by_status(user.status)
        for name in sorted(group_names):
            if any(p.search(name) for p in self.include):
                return _by_group(name)
        return None


# One Reason per status and per group name, shared by everyone it applies to (the item that acts on
# a person names them already): a Reason and its text for each of 150,000 people were ~22 MB of a
# run's peak.
@functools.lru_cache(maxsize=64)
def _by_status(status: str) -> Reason:
    return Reason("scope", f"source users with status {status} are in the source scope")


@functools.lru_cache(maxsize=4096)
def _by_group(name: str) -> Reason:
    return Reason("scope.include_groups", f"member of source group {name!r}")


def compile_scope(rules: ScopeRules) -> ScopeFilter:
    """Compile `scope` (the profile model has already checked that the regexes are valid)."""
    return ScopeFilter(
        include=tuple(re.compile(p) for p in rules.include_groups),
        exclude=tuple(re.compile(p) for p in rules.exclude_groups),
        statuses=None if rules.statuses is None else frozenset(rules.statuses),
    )
