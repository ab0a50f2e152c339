"""The source contract.

A source returns a complete `Snapshot` or raises `SourceReadError`: a failed page, a size limit or
a dropped connection must never look like "fewer users": deletion decisions are made only from a
complete read.
"""

from __future__ import annotations

from typing import Protocol

from idsync.domain.progress import Progress
from idsync.domain.records import Snapshot


class Source(Protocol):
    """Reads users, groups and memberships from one connection."""

    name: str
    """The connection name from the config."""

    async def read(self, progress: Progress) -> Snapshot:
        """Read everything in scope. Complete, or raises SourceReadError."""
        ...

    async def read_user(self, login: str) -> Snapshot:
        """Read one user (by login / username / id) and the groups they belong to, for single-user
        sync. The snapshot's `single_user` is the user's source id; groups hold only that member.
        Raises NotFoundError when the source has no such user."""
        ...

    async def check(self) -> str:
        """Test the connection and credentials; return a one-line description of what is visible."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
