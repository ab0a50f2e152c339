"""Structured logs: one structlog configuration for all of idsync, JSON lines under `idsync serve`.

Every module logs with `structlog.get_logger(__name__)`; modules and libraries on the standard
library's `logging` (uvicorn, SQLAlchemy, a few older idsync modules) go through the same renderer, so
an operator's log shipper sees one format:

    {"timestamp": "2025-03-01T14:25:01.123Z", "level": "info", "logger": "idsync.engine.run",
     "event": "run finished", "run_id": "20250301-142501123-9f3a", "profile": "okta-to-jira", ...}

Secrets are never passed to a logger (tokens travel only in HTTP headers, which are never logged);
as a last line of defence the renderer replaces any configured secret value — every `SecretStr` of the
config, the database password, and whatever `add_secrets` was given — with `***`, in the message, in
every field and in tracebacks, before the line is written.

Until `configure` is called (the CLI commands other than `serve`), warnings and errors go to stderr as
plain text: structlog's own default prints to stdout, where it would corrupt `--json` output.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

import orjson
import structlog
from pydantic import BaseModel, SecretStr
from structlog.typing import EventDict, Processor, WrappedLogger

if TYPE_CHECKING:
    from idsync.config.model import IdsyncConfig
    from idsync.engine.run import RunReport, RunRequest

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking "ab" everywhere would garble every line, and such a value
is no secret worth the name."""

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_pattern: tuple[str, ...] = ()

log = structlog.get_logger(__name__)


def add_secrets(values: Iterable[str]) -> None:
    """Mask these values in every log line from now on (tokens issued at run time, for instance)."""
    global _pattern
    with _secrets_lock:
        for value in values:
            if len(value) >= MIN_SECRET_LENGTH:
                _secrets.add(value)
                # As it appears inside a JSON string too (quotes and backslashes escaped).
                _secrets.add(orjson.dumps(value).decode()[1:-1])
        # Longest first, so a secret containing another is masked whole.
        _pattern = tuple(sorted(_secrets, key=len, reverse=True))


def secrets_of(config: IdsyncConfig) -> list[str]:
    """Every secret value a config holds: its SecretStr fields and the database URL's password."""
    from sqlalchemy.engine import make_url

    found = list(_secret_fields(config))
    password = make_url(config.database).password
    if password:
        found.append(str(password))
    return found


def _secret_fields(model: BaseModel) -> Iterator[str]:
    for name in type(model).model_fields:
        yield from _secret_values(getattr(model, name))


def _secret_values(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        yield from _secret_fields(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in _pattern:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _render_json(_logger: WrappedLogger, _name: str, event: EventDict) -> str:
    return redact(orjson.dumps(event, default=str).decode())


def _render_text(_logger: WrappedLogger, _name: str, event: EventDict) -> str:
    message = str(event.pop("event", ""))
    level = str(event.pop("level", "info"))
    extra = " ".join(f"{key}={value}" for key, value in event.items() if key not in ("timestamp", "logger"))
    return redact(f"{level}: {message}" + (f" ({extra})" if extra else ""))


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    structlog.processors.StackInfoRenderer(),
    structlog.processors.format_exc_info,
]


def configure(
    *, secrets: Iterable[str] = (), level: str = "info", stream: IO[str] | None = None, json: bool = True
) -> None:
    """JSON lines (or plain text) at `level` on `stream` (stderr) for structlog and `logging` alike,
    masking `secrets`. Called once by `idsync serve`; calling it again replaces the set-up."""
    add_secrets(secrets)
    renderer = _render_json if json else _render_text
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_idsync", False):
            root.removeHandler(old)
    handler._idsync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers (if any were set) would print a second, unmasked line.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def configure_for(config: IdsyncConfig, *, level: str = "info", stream: IO[str] | None = None) -> None:
    """`configure` with every secret of `config` masked (what `idsync serve` calls at start)."""
    configure(secrets=secrets_of(config), level=level, stream=stream)


def reset() -> None:
    """Undo `configure`: remove idsync's handler and go back to the default (warnings as text)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_idsync", False):
            root.removeHandler(old)
    root.setLevel(logging.WARNING)
    _configure_default()


def _current_stderr(*args: Any) -> structlog.PrintLogger:
    """A logger on the stderr of the moment, not the one there was at import: a program that swaps
    sys.stderr (a test runner, an embedding application) and closes the old one must not make every
    later warning fail with "I/O operation on closed file"."""
    return structlog.PrintLogger(sys.stderr)


def _configure_default() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.format_exc_info,
            _render_text,
        ],
        logger_factory=_current_stderr,
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=False,
    )


if not structlog.is_configured():
    _configure_default()


def run_finished(profile: str, request: RunRequest, report: RunReport, seconds: float) -> None:
    """The one log event of a finished run, and one per failed item (called by `idsync.metrics`)."""
    failed = report.failed()
    fields: dict[str, Any] = {
        "run_id": report.run_id,
        "profile": profile,
        "trigger": request.trigger,
        "status": report.status.value,
        "dry_run": request.dry_run,
        "seconds": round(seconds, 3),
        "items": len(report.plan.items) if report.plan is not None else 0,
        "failed_items": len(failed),
    }
    if request.user:
        fields["user"] = request.user
    if report.error:
        fields["error"] = report.error
    level = "warning" if report.status.value in ("failed", "partial", "refused") else "info"
    getattr(log, level)("run finished", **fields)
    for item, result in failed:
        log.warning(
            "item failed",
            run_id=report.run_id,
            profile=profile,
            target=item.target,
            action=item.action.value,
            user=item.user,
            group=item.group,
            attempts=result.attempts,
            error=result.error,
        )


def run_not_finished(profile: str, request: RunRequest, error: BaseException, seconds: float) -> None:
    """The log event of a run that raised before it could finish (no run id, or the profile busy)."""
    log.warning(
        "run not finished",
        profile=profile,
        trigger=request.trigger,
        user=request.user,
        seconds=round(seconds, 3),
        error=f"{type(error).__name__}: {error}",
    )
