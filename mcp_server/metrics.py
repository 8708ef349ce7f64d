"""Prometheus metrics: calls by tool and outcome, latency, the database pool and the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from mcp_server.audit import AuditStats
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
        self.requests_shed = Counter(
            "abcodex_requests_shed",
            "Requests refused with 503 because MCP_GATEWAY_MAX_IN_FLIGHT were already in flight",
            registry=self.registry,
        )
        self._pool_stats: Callable[[], PoolStats] | None = None
        self._audit = _AuditCollector()
        self.registry.register(self._audit)

    def watch_pool(self, stats: Callable[[], PoolStats] | None) -> None:
        self._pool_stats = stats

    def watch_audit(self, stats: Callable[[], AuditStats] | None) -> None:
        """Report the audit trail's buffer and counts on each scrape (None: the trail is gone)."""
        self._audit.stats = stats

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


class _AuditCollector(Collector):
    """The audit trail keeps its own counts; a scrape reads them (a counter here would be a second tally)."""

    def __init__(self) -> None:
        self.stats: Callable[[], AuditStats] | None = None

    def collect(self) -> Iterator[Metric]:
        if self.stats is None:
            return
        stats = self.stats()
        yield GaugeMetricFamily("abcodex_audit_rows_waiting", "Audit rows not yet in Postgres", value=stats.waiting)
        yield GaugeMetricFamily("abcodex_audit_buffer_rows", "Audit rows the buffer may hold", value=stats.capacity)
        for name, text, value in (
            ("abcodex_audit_rows_written", "Audit rows written", stats.written),
            ("abcodex_audit_rows_dropped", "Audit rows dropped (oldest first): buffer full", stats.dropped),
            ("abcodex_audit_rows_refused", "Audit rows Postgres refused even in plain form", stats.refused),
        ):
            yield CounterMetricFamily(name, text, value=value)
