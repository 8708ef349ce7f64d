"""Prometheus metrics: calls by tool and outcome, latency, and the database pool."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mcp_server.repository.pool import PoolStats

CONTENT_TYPE = CONTENT_TYPE_LATEST


class GatewayMetrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tool_calls = Counter(
            "abcodex_tool_calls",
            "Tool calls by tool and outcome",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.tool_latency = Histogram(
            "abcodex_tool_call_seconds",
            "Tool call latency",
            ["tool"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.pool_size = Gauge("abcodex_db_pool_size", "Connections open", registry=self.registry)
        self.pool_idle = Gauge("abcodex_db_pool_idle", "Connections idle", registry=self.registry)
        self.pool_max = Gauge("abcodex_db_pool_max", "Pool capacity", registry=self.registry)
        self.in_flight = Gauge("abcodex_requests_in_flight", "HTTP requests in flight", registry=self.registry)
        self._pool_stats: Callable[[], PoolStats] | None = None

    def watch_pool(self, stats: Callable[[], PoolStats] | None) -> None:
        self._pool_stats = stats

    def record_call(self, tool: str, outcome: str, seconds: float) -> None:
        self.tool_calls.labels(tool=tool, outcome=outcome).inc()
        self.tool_latency.labels(tool=tool).observe(seconds)

    def render(self) -> bytes:
        if self._pool_stats is not None:
            stats = self._pool_stats()
            self.pool_size.set(stats.size)
            self.pool_idle.set(stats.idle)
            self.pool_max.set(stats.max_size)
        return generate_latest(self.registry)
