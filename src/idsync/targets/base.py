"""The target contract.

A target answers a `StateQuery` with a `TargetState` and executes one `PlanItem` at a time. The apply
engine (idsync.engine.apply) owns ordering, concurrency and outcome recording; a target only maps an
item to its API calls and raises the error types of idsync.domain.errors.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol, runtime_checkable

from idsync.domain.plan import PlanItem
from idsync.domain.progress import Progress
from idsync.domain.records import Capabilities, StateQuery, TargetState

__all__ = ["BatchingTarget", "Capabilities", "Target"]


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


@runtime_checkable
class BatchingTarget(Protocol):
    """A target whose API changes several objects in one request (Bitbucket adds many users to a group
    at once). Apply gives it the items of one phase that share a batch key together; one plan item is
    still one change, with its own outcome."""

    max_batch: int
    """At most this many items in one batch."""

    def batch_key(self, item: PlanItem) -> Hashable | None:
        """Items with the same key (within a phase) may go in one request; None: on its own."""
        ...

    async def execute_batch(self, items: Sequence[PlanItem]) -> list[str | Exception | None]:
        """Carry out the items; per item (in order) its result as `execute` returns it, or the error
        (a ConnectorError subclass) that item failed with."""
        ...
