"""Logging with structlog: JSON lines for journald, readable lines on a terminal.

Standard-library loggers (paho, bleak, asyncio) are routed through the same
renderer, so every line has one format. Wall-clock timestamps appear here,
at the edge, and nowhere in the data path.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from typing import Any, Literal, TextIO

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class RecentLines(logging.Handler):
    """Keeps the last few rendered lines for the live view instead of printing them."""

    def __init__(self, size: int = 8) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=size)
        self.total = 0  # lines ever kept: the live view takes only those it has not shown yet

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.total += 1


def configure(
    level: str = "info",
    fmt: Literal["auto", "json", "console"] = "auto",
    stream: TextIO | None = None,
    capture: RecentLines | None = None,
) -> None:
    """Set up logging once per process. ``capture`` diverts lines to the live view."""
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty() and capture is None)
    )
    exc_info = [structlog.processors.format_exc_info] if use_json else []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *exc_info, renderer],
    )
    handler: logging.Handler = capture if capture is not None else logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
