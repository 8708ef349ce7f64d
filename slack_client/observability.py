"""Logs (structlog, JSON when not on a TTY) and Prometheus metrics for the bot."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """One JSON object per line (or pretty lines on a TTY), at `level`, to stdout unless told otherwise."""
    stream = stream or sys.stdout
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )


class Metrics:
    """The bot's Prometheus metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("abcodex_bot_requests", "Questions handled", ["kind", "outcome"], registry=r)
        self.clicks = Counter("abcodex_bot_clicks", "Confirm/Cancel clicks", ["verdict"], registry=r)
        self.feedback = Counter("abcodex_bot_feedback", "Feedback clicks on answers", ["verdict"], registry=r)
        self.home_views = Counter("abcodex_bot_home_views", "Home tabs published", ["gateway"], registry=r)
        self.ack_seconds = Histogram(
            "abcodex_bot_ack_seconds", "Receipt to acknowledgement", ["transport"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.request_seconds = Histogram(
            "abcodex_bot_request_seconds", "Question to answer", ["kind"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.llm_rounds = Counter("abcodex_bot_llm_rounds", "LLM turns", ["provider"], registry=r)
        self.tokens = Counter("abcodex_bot_llm_tokens", "LLM tokens", ["direction"], registry=r)
        self.tool_calls = Counter("abcodex_bot_tool_calls", "Tool calls made for questions", ["tool"], registry=r)
        self.in_flight = Gauge("abcodex_bot_requests_in_flight", "Questions being answered", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
