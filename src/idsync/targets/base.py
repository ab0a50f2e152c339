"""The target contract.

A target answers a `StateQuery` with a `TargetState` and executes one `PlanItem` at a time. The apply
engine (idsync.engine.apply) owns ordering, concurrency and outcome recording; a target only maps an
item to its API calls and raises the error types of idsync.domain.errors.
"""

from __future__ import annotations

from typing import Protocol

from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState

__all__ = ["Capabilities", "Target"]


class Target(Protocol):
    """One target connection (Jira, Confluence, Bitbucket, Crowd, SCIM...)."""

    name: str
    capabilities: Capabilities
    max_concurrency: int
    """How many items apply may run at once against this target (per connection config)."""

    async def read_state(self, query: StateQuery, progress: Progress) -> TargetState:
        """Read exactly what the query asks for. Complete, or raises a ConnectorError."""
        ...

    async def execute(self, item: PlanItem) -> str | None:
        """Carry out one item. Returns the target key of a created user (else None). Raises
        ConnectorError subclasses; the apply engine decides retry / record / halt by type."""
        ...

    async def check(self) -> str:
        """Test the connection and credentials; return a one-line description."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
