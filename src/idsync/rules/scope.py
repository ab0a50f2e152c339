"""Which source users take part — include / exclude group regexes and statuses.

Group regexes are searched (not fully matched) in source group names, as the config examples
(`^jira-`) expect. Exclusion wins over inclusion. An empty include list means everyone.
"""

from __future__ import annotations

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
            return Reason("scope", f"source user {user.id} ({user.status}) is in the source scope")
        for name in sorted(group_names):
            if any(p.search(name) for p in self.exclude):
                return None
        if not self.include:
            return Reason("scope", f"source user {user.id} ({user.status}) is in the source scope")
        for name in sorted(group_names):
            if any(p.search(name) for p in self.include):
                return Reason("scope.include_groups", f"member of source group {name!r}")
        return None


def compile_scope(rules: ScopeRules) -> ScopeFilter:
    """Compile `scope` (the profile model has already checked that the regexes are valid)."""
    return ScopeFilter(
        include=tuple(re.compile(p) for p in rules.include_groups),
        exclude=tuple(re.compile(p) for p in rules.exclude_groups),
        statuses=None if rules.statuses is None else frozenset(rules.statuses),
    )
