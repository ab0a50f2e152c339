"""Which target groups a source group stands for.

- `on_the_fly`: a source group whose name matches an `include` regex (empty: all) and no `exclude`
  regex becomes the target group of the same name, optionally rewritten by `rename` (a name the
  rename regex does not match is kept as it is).
- `manual`: `mapping` names source groups exactly; each maps to one or more target groups.
  `include` / `exclude` do not apply (the mapping is already explicit).
- `none`: source groups are ignored.

Default groups (`default_groups.all_users`, `new_users`) are independent of the mode. Protected groups
(`safety.protected_groups`, compared case-insensitively as Jira does) are never managed: every rule
that would produce one drops it, and the drop is reported once as a note.

`GroupMapper.rule()` answers the reverse question without the source — is this *target* group
managed? — for a single-user run, whose snapshot names only the groups the person is in now. A rename
cannot be inverted, so with `rename` only the all_users defaults are known to be managed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from idsync.config.profiles import Profile
from idsync.domain.records import GroupRule, Reason
from idsync.rules.rewrite import Rewrite, compile_rewrite

ALL_USERS_REASON = Reason("groups.default_groups.all_users", "default group for every user in scope")
NEW_USERS_REASON = Reason("groups.default_groups.new_users", "default group for users idsync creates")


@dataclass(slots=True)
class GroupMapper:
    """A compiled group rule. Remembers which protected groups it dropped (for the notes)."""

    mode: str
    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]
    rename: Rewrite | None
    mapping: dict[str, list[str]]
    protected: frozenset[str]
    dropped: set[str] = field(default_factory=set)

    def is_protected(self, target_group: str) -> bool:
        """Whether the target group is listed in safety.protected_groups."""
        return target_group.casefold() in self.protected

    def targets(self, source_group: str) -> dict[str, Reason]:
        """Target group name → reason, for members of the source group named `source_group`."""
        found: dict[str, Reason] = {}
        if self.mode == "on_the_fly":
            if self.include and not any(p.search(source_group) for p in self.include):
                return {}
            if any(p.search(source_group) for p in self.exclude):
                return {}
            name = source_group
            detail = f"member of source group {source_group!r}"
            if self.rename is not None:
                renamed = self.rename.apply(source_group)
                if renamed:
                    name = renamed
                    if renamed != source_group:
                        detail += f" (renamed to {renamed!r} by groups.rename)"
            found[name] = Reason("groups.on_the_fly", detail)
        elif self.mode == "manual":
            for name in self.mapping.get(source_group, []):
                found[name] = Reason(
                    "groups.mapping", f"member of source group {source_group!r}, mapped to {name!r}"
                )
        return self._without_protected(found)

    @property
    def names_follow_sources(self) -> bool:
        """Whether every target group is named exactly as the source group it comes from (on the
        fly without `rename`), so that source groups in name order give target groups in name order."""
        return self.mode == "on_the_fly" and self.rename is None

    def rule(self, all_users: Iterable[str]) -> GroupRule:
        """The target groups these rules manage, as a frozen record the diff can ask by name."""
        names = {name.casefold() for name in all_users}
        if self.mode == "manual":
            names.update(name.casefold() for targets in self.mapping.values() for name in targets)
        return GroupRule(
            names=frozenset(names),
            by_pattern=self.mode == "on_the_fly" and self.rename is None,
            include=self.include if self.mode == "on_the_fly" else (),
            exclude=self.exclude if self.mode == "on_the_fly" else (),
            protected=self.protected,
        )

    def rename_note(self) -> str | None:
        """For a single-user run: why groups the person left are not seen when `rename` is set."""
        if self.mode != "on_the_fly" or self.rename is None:
            return None
        return ("groups.rename cannot be inverted, so a single-user sync cannot tell which target groups "
                "the rename produced: the person is removed from a renamed group they left only by a "
                "full run")

    def defaults(self, names: Iterable[str], reason: Reason) -> dict[str, Reason]:
        """Default groups with their reason, protected ones left out."""
        return self._without_protected({name: reason for name in names})

    def notes(self) -> list[str]:
        """One note per protected group a rule wanted to manage."""
        return [
            f"group {name!r} is protected (safety.protected_groups): its memberships are not managed"
            for name in sorted(self.dropped)
        ]

    def _without_protected(self, groups: dict[str, Reason]) -> dict[str, Reason]:
        kept = {}
        for name, reason in groups.items():
            if self.is_protected(name):
                self.dropped.add(name)
            else:
                kept[name] = reason
        return kept


def compile_groups(profile: Profile) -> GroupMapper:
    """Compile `groups` (and `safety.protected_groups`) of a profile."""
    rules = profile.groups
    rename = None
    if rules.rename is not None:
        rename = compile_rewrite(rules.rename.regex, rules.rename.replace, "groups.rename")
    return GroupMapper(
        mode=rules.mode,
        include=tuple(re.compile(p) for p in rules.include),
        exclude=tuple(re.compile(p) for p in rules.exclude),
        rename=rename,
        mapping={k: list(v) for k, v in rules.mapping.items()},
        protected=frozenset(g.casefold() for g in profile.safety.protected_groups),
    )
