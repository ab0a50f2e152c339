"""The target username of a source user — a source attribute, optionally rewritten by a regex
(`(.*)@.*` → `$1`), optionally lower-cased.

A value the regex does not match keeps its original form (it is still lower-cased when asked): an
admin who strips a mail domain expects a login without a domain to pass through unchanged. A user
whose username attribute is missing or empty gets no username; the caller leaves them out and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from idsync.config.profiles import UsernameRule
from idsync.domain.records import SourceUser
from idsync.rules.attributes import text
from idsync.rules.rewrite import Rewrite, compile_rewrite


@dataclass(frozen=True, slots=True)
class UsernameMaker:
    """A compiled username rule."""

    attribute: str
    rewrite: Rewrite | None
    lowercase: bool

    def username(self, user: SourceUser) -> str | None:
        """The target username for `user`, or None when the attribute is missing or rewrites to ''."""
        value = text(user.attr(self.attribute))
        if value is None:
            return None
        if self.rewrite is not None:
            rewritten = self.rewrite.apply(value)
            if rewritten is not None:
                value = rewritten.strip()
        if self.lowercase:
            value = value.lower()
        return value or None


def compile_username_rule(rule: UsernameRule) -> UsernameMaker:
    """Compile `users.username`; a replacement naming a missing regex group is a ConfigError."""
    rewrite = None
    if rule.regex is not None:
        rewrite = compile_rewrite(rule.regex, rule.replace, "users.username")
    return UsernameMaker(rule.attribute, rewrite, rule.lowercase)
