"""Errors of the service layer, on top of the domain's tree (`idsync.domain.errors`):

    ConfigError
    └── UnknownName        a name (profile, connection, run status, ...) that is not one of the valid
                           ones: the message names the field and lists the valid values
    IdsyncError
    ├── NotFound           an id (plan, run) or a user that does not exist
    └── Conflict           the request contradicts the stored state (a plan applied already, a token
                           that exists)

The CLI maps UnknownName to exit 2 and the others to exit 1 or 2; the REST API maps UnknownName to
404 when the name came from the URL path and 422 otherwise, NotFound to 404 and Conflict to 409.
"""

from __future__ import annotations

from collections.abc import Iterable

from idsync.domain.errors import ConfigError, IdsyncError


class UnknownName(ConfigError):
    """`value` is not a valid `field`; `valid` lists what is."""

    def __init__(
        self,
        field: str,
        value: str | None,
        valid: Iterable[str],
        *,
        what: str | None = None,
        message: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.valid = tuple(sorted(valid))
        listed = ", ".join(self.valid) or "(none)"
        if message is None:
            message = f"{field}: no {what or field} named {value!r}; valid: {listed}"
        super().__init__(message)


class NotFound(IdsyncError):
    """A plan, run or user the request names does not exist; `field` says which input named it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class Conflict(IdsyncError):
    """The request contradicts the stored state; `field` names the input it concerns."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)
