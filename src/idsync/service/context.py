"""One way to load the config and open the store, for every front end.

`Context` is what the use cases take: the validated config and an open store. The server builds one
at start and shares it; the CLI builds one per command. `open_store` serves the commands that need
only the database (`idsync history`, token commands): they work without the connections' `${ENV}`
secrets being set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from idsync.config.loader import config_path, load_config, load_database_url
from idsync.config.model import IdsyncConfig
from idsync.config.profiles import Profile
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.engine.run import Engine
from idsync.runtime import run_loop
from idsync.service.errors import UnknownName
from idsync.store import Store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """The loaded config, the open store, and the file the config came from (None when parsed from text)."""

    config: IdsyncConfig
    store: Store
    path: Path | None = None
    own_loop: bool = False
    """Runs go to a worker thread with an event loop of their own (set by `idsync serve`): a large
    run's CPU work then shares the interpreter with the server by time slices instead of queueing
    behind, or in front of, every SCIM and API request on the server's loop."""

    def engine(self, progress: Progress = NO_PROGRESS) -> Engine:
        """An engine over this config and store."""
        return Engine(self.config, self.store, progress=progress)

    async def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run the coroutine `make()` builds: on this loop, or (`own_loop`) on a loop of its own in a
        worker thread. The coroutine is built in that thread, so nothing of it touches this loop."""
        if not self.own_loop:
            return await make()
        return await in_own_loop(make)

    def profile(self, name: str | None, *, field: str = "profile") -> tuple[str, Profile]:
        """The named profile, or the only one when `name` is None; UnknownName lists the profiles."""
        profiles = self.config.profiles
        if name is None:
            if len(profiles) == 1:
                return next(iter(profiles.items()))
            listed = ", ".join(sorted(profiles)) or "(none)"
            raise UnknownName(
                field, None, profiles, message=f"{field}: name a profile; this config has: {listed}"
            )
        if name not in profiles:
            raise UnknownName(field, name, profiles, what="profile")
        return name, profiles[name]


async def in_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine `make()` builds on an event loop of its own in a worker thread (the coroutine
    is built in that thread, so nothing of it touches the caller's loop)."""
    return await asyncio.to_thread(lambda: run_loop(make()))


def load(path: Path | None = None) -> IdsyncConfig:
    """The validated config of `path` (else $IDSYNC_CONFIG, else ./idsync.yaml); raises ConfigError."""
    return load_config(path)


@contextmanager
def open_context(path: Path | None = None) -> Iterator[Context]:
    """Load the config and open its store for the length of a command."""
    config = load(path)
    with Store.open(config.database) as store:
        yield Context(config, store, config_path(path).resolve())


@contextmanager
def open_store(path: Path | None = None) -> Iterator[Store]:
    """Open only the config's database (no connection secrets needed)."""
    with Store.open(load_database_url(path)) as store:
        yield store
