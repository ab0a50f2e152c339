"""The inbox for the ASGI server: scim2-server's async storage interface over InboxStorage, each
blocking database call run in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from scim2_models import Resource, ResourceType, ResponseParameters, SearchRequest
from scim2_server.storage import AsyncScimStorage, SearchPage

from idsync.sources.scim.extensions import Change, Kept
from idsync.sources.scim.storage import InboxStorage

T = TypeVar("T")


class AsyncInboxStorage(AsyncScimStorage):
    """The inbox for the ASGI server: each blocking call runs in a worker thread."""

    def __init__(self, storage: InboxStorage) -> None:
        self.storage = storage

    @staticmethod
    async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(function, *args, **kwargs)

    async def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        """See InboxStorage.get."""
        return await self._call(self.storage.get, resource_type, resource_id)

    async def search(
        self, resource_types: list[ResourceType], search_request: SearchRequest[Any], *, position: Any = None
    ) -> SearchPage:
        """See InboxStorage.search."""
        return await self._call(self.storage.search, resource_types, search_request)

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        """See InboxStorage.create."""
        return await self._call(self.storage.create, resource_type, resource)

    async def update(
        self, resource_type: ResourceType, resource: Resource[Any], *, expected_version: str | None = None
    ) -> Resource[Any]:
        """See InboxStorage.update."""
        return await self._call(
            self.storage.update, resource_type, resource, expected_version=expected_version
        )

    async def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        """See InboxStorage.delete."""
        await self._call(self.storage.delete, resource_type, resource_id, expected_version=expected_version)

    async def survey(self) -> None:
        """See InboxStorage.survey."""
        await self._call(self.storage.survey)

    async def keep(
        self, resource_type: str, resource_id: str, change: Change, *, expected_version: str | None = None
    ) -> Kept:
        """See InboxStorage.keep."""
        return await self._call(
            self.storage.keep, resource_type, resource_id, change, expected_version=expected_version
        )
