"""Request helpers the Atlassian emulators' routes share. Each product keeps its own error class and
texts; these helpers take a factory of that error wherever a request can be refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import orjson
from starlette.requests import Request

from idsync.sandbox.common.clock import Clock

OptionsT = TypeVar("OptionsT")
StateT = TypeVar("StateT")


class EmulatorRuntime(Generic[OptionsT, StateT]):
    """What routes reach through `request.app.state.runtime`; `state` is swapped on reset."""

    def __init__(self, options: OptionsT, clock: Clock, state: StateT) -> None:
        self.options = options
        self.clock = clock
        self.state = state


def json_object(
    raw: bytes, malformed: Callable[[str], Exception], not_object: Callable[[], Exception]
) -> dict[str, Any]:
    """A request body as a JSON object. Raises `malformed(reason)` for bytes that are not JSON and
    `not_object()` for an empty body or JSON that is not an object."""
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError as exc:
        raise malformed(exc.msg) from exc
    if not isinstance(data, dict):
        raise not_object()
    return data


def query_int(
    request: Request,
    name: str,
    default: int,
    minimum: int,
    not_int: Callable[[str], Exception],
    too_small: Callable[[str], Exception],
) -> int:
    """An integer query parameter (`default` when missing or empty). Raises `not_int(raw)` for a value
    that is no integer and `too_small(raw)` for one below `minimum`."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise not_int(raw) from None
    if value < minimum:
        raise too_small(raw)
    return value


def query_bool(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter ("true"/"false", any case; `default` when missing or empty)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    return raw.lower() == "true"


def base_url(request: Request) -> str:
    """scheme://host[:port] as the client addressed us, for the links in responses."""
    scope = request.scope
    host = request.headers.get("host")
    if host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"
