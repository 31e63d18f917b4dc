"""Structured JSON logs with job/correlation context (FR-012).

Why contextvars: trio copies the context into every task (and ``trio.to_thread.run_sync`` into
its worker thread), so ``with log_context(job_id=...)`` around a job's work tags every record the
job's tasks emit, without threading ids through every call. A filter on our handler copies the
context onto the record in the emitting thread, so the formatter never reads the wrong context.

Only handlers write output. The stderr destination writes to the process's real stderr when called
from a non-main thread: ipykernel reroutes ``sys.stderr`` per cell and misroutes output from other
threads (DESIGN "Concurrency"), so background logs go to the kernel's terminal, never into a cell.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["CONTEXT_FIELDS", "log_context", "bind", "unbind", "current_context", "JsonFormatter", "TextFormatter",
           "ContextFilter", "configure_logging", "reset_logging", "get_logger", "ensure_libp2p_logging",
           "NOISY_LIBP2P_LOGGERS"]

CONTEXT_FIELDS = ("job_id", "fragment_id", "node_id", "correlation_id", "request_id")
NOISY_LIBP2P_LOGGERS = ("libp2p.pubsub.gossipsub", "libp2p.pubsub.pubsub", "libp2p.pubsub.rpc_queue")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("qnb_log_context", default=_EMPTY)
_RESERVED = set(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {"message", "asctime", "qnb_context"}


# ------------------------------------------------------------------------------------------ context

def _merged(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    merged = dict(_context.get())
    merged.update({k: v for k, v in fields.items() if v is not None})
    return MappingProxyType(merged)


@contextmanager
def log_context(**fields: Any) -> Iterator[Mapping[str, Any]]:
    """Add ``fields`` (job_id, fragment_id, node_id, correlation_id, request_id, ...) to every log
    record emitted inside the block by this task/thread and by tasks it starts; None values are skipped."""
    token = _context.set(_merged(fields))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def bind(**fields: Any) -> contextvars.Token:
    """Add fields for the rest of the current context (task); undo with :func:`unbind`."""
    return _context.set(_merged(fields))


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copies the current log context onto the record (runs in the emitting thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "qnb_context"):
            record.qnb_context = _context.get()
        return True


# --------------------------------------------------------------------------------------- formatters

def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = dict(getattr(record, "qnb_context", None) or _context.get())
    for key, value in record.__dict__.items():        # logger.info(..., extra={...}) wins over context
        if key not in _RESERVED and not key.startswith("_"):
            out[key] = value
    return out


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:   # bad %-args must not turn into "--- Logging error ---" on stderr
        return f"{record.msg!s} {record.args!r}"


def _ts(record: logging.LogRecord) -> str:
    t = _dt.datetime.fromtimestamp(record.created, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then context and extra fields, then exc."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {"ts": _ts(record), "level": record.levelname, "logger": record.name,
                                "msg": _message(record)}
        for key, value in _fields(record).items():
            body.setdefault(key, value)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            body["stack"] = record.stack_info
        return json.dumps(body, default=repr, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable: ``ts LEVEL logger: msg key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{_ts(record)} {record.levelname:<7} {record.name}: {_message(record)}"
        if extras:
            line += f" [{extras}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# ----------------------------------------------------------------------------------------- handlers

class _StderrHandler(logging.StreamHandler):
    """stderr resolved per record: ``sys.stderr`` on the main thread, the real stderr elsewhere."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        if threading.current_thread() is threading.main_thread():
            self.stream = sys.stderr
        else:
            self.stream = sys.__stderr__ or sys.stderr
        super().emit(record)


_lock = threading.Lock()
_installed: logging.Handler | None = None
_libp2p_level = logging.WARNING


def configure_logging(settings: Any = None, *, level: str | None = None, destination: str | None = None,
                      format: str | None = None, propagate: bool = False) -> logging.Handler:
    """Install (or replace: idempotent) the single qnb handler on the ``qnb`` and ``libp2p`` loggers.

    ``settings`` is a :class:`qnb.config.LoggingSettings` (defaults if None); keyword arguments
    override it. libp2p is held at WARNING and its noisy pubsub loggers at ERROR, unless the user
    set ``LIBP2P_DEBUG`` (then libp2p's own logging setup is left alone). Importing libp2p resets
    its logger, so call this again (or :func:`ensure_libp2p_logging`) after the mesh layer is imported.
    """
    global _installed
    from ..config import LoggingSettings

    cfg = settings if settings is not None else LoggingSettings()
    cfg = LoggingSettings(level=level or cfg.level, destination=destination or cfg.destination,
                          format=format or cfg.format)      # validates the keyword overrides too
    if cfg.destination == "stderr":
        handler: logging.Handler = _StderrHandler()
    elif cfg.destination == "none":
        handler = logging.NullHandler()
    else:
        path = Path(cfg.destination).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="a", encoding="utf-8", delay=True)
    handler.setFormatter(JsonFormatter() if cfg.format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler._qnb_handler = True  # type: ignore[attr-defined]

    with _lock:
        old, _installed = _installed, handler
        qnb_logger = logging.getLogger("qnb")
        if old is not None:
            qnb_logger.removeHandler(old)
            logging.getLogger("libp2p").removeHandler(old)
            old.close()
        qnb_logger.addHandler(handler)
        qnb_logger.setLevel(cfg.level)
        qnb_logger.propagate = propagate
        _attach_libp2p(handler)
    return handler


def _attach_libp2p(handler: logging.Handler) -> None:
    if os.environ.get("LIBP2P_DEBUG"):
        return
    lg = logging.getLogger("libp2p")
    for h in list(lg.handlers):
        if getattr(h, "_qnb_handler", False) and h is not handler:
            lg.removeHandler(h)
    if handler not in lg.handlers:
        lg.addHandler(handler)
    lg.setLevel(_libp2p_level)
    lg.propagate = False
    for name in NOISY_LIBP2P_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove our handler and let ``qnb`` records propagate to the
    root logger again (pytest's caplog, a notebook's own setup)."""
    global _installed
    with _lock:
        old, _installed = _installed, None
        if old is None:
            return
        for name in ("qnb", "libp2p"):
            logging.getLogger(name).removeHandler(old)
        qnb_logger = logging.getLogger("qnb")
        qnb_logger.propagate = True
        qnb_logger.setLevel(logging.NOTSET)
        old.close()


def ensure_libp2p_logging() -> None:
    """Re-attach our handler to the libp2p logger if ``import libp2p`` reset it (cheap; idempotent)."""
    with _lock:
        if _installed is not None:
            _attach_libp2p(_installed)


def get_logger(name: str) -> logging.Logger:
    """A logger under the ``qnb`` hierarchy (``get_logger("runtime")`` -> ``qnb.runtime``)."""
    return logging.getLogger(name if name == "qnb" or name.startswith("qnb.") else f"qnb.{name}")
