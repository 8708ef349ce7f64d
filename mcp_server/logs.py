"""structlog set-up: JSON lines when not on a TTY (containers), readable output on a terminal."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog


def configure_logging(level: str, log_format: Literal["auto", "json", "console"], stream: object = None) -> None:
    output = stream or sys.stderr
    use_json = log_format == "json" or (log_format == "auto" and not getattr(output, "isatty", lambda: False)())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=output),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # The SDK and uvicorn log through the standard library; keep their chatter at warnings.
    logging.basicConfig(level=logging.WARNING, stream=output)  # type: ignore[arg-type]
    for name in ("mcp", "uvicorn.access", "httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)
