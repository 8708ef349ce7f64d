"""What `make bench` measures per scenario, and how it is reported: a table, the ratios to the no-op, JSON."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.gateway_load import Measurement, Protocol
from bench.gateway_processes import ServerConfig
from bench.gateway_server import ECHO_TOOL, NOOP_TOOL
from mcp_server.repository.demo_scale import LIVE_EID, ROUNDS

VOTING_TOOL = "get_live_voting_status"
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_P50_RATIO = 1.3


@dataclass(frozen=True)
class Scenario:
    """One tool call, repeated: the no-op, or the voting tool for all rounds or the open round only."""

    label: str
    tool: str
    arguments: dict[str, Any]
    seconds_per_pass: float | None = None  # a cap for a read too slow to repeat thousands of times

    @property
    def round(self) -> int | None:
        value = self.arguments.get("round")
        return int(value) if value is not None else None


NOOP = Scenario("no-op", NOOP_TOOL, {"eid": LIVE_EID})
ECHO = Scenario("echo, all rounds", ECHO_TOOL, {"eid": LIVE_EID})
VOTING = Scenario("voting, all rounds", VOTING_TOOL, {"eid": LIVE_EID})
VOTING_OPEN_ROUND = Scenario(f"voting, round {ROUNDS}", VOTING_TOOL, {"eid": LIVE_EID, "round": ROUNDS})
# The heaviest read of the tools added after the first six: reported beside the no-op, no target set.
SUMMARY = Scenario("event summary", "get_event_summary", {"eid": LIVE_EID}, seconds_per_pass=3.0)
SCENARIOS = (NOOP, ECHO, VOTING, VOTING_OPEN_ROUND, SUMMARY)


@dataclass
class ScenarioResult:
    config: ServerConfig
    protocol: Protocol
    scenario: Scenario
    measurement: Measurement = field(default_factory=Measurement)
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    client_cpu: float = 0.0
    voting_queries: int = 0
    memory_kib: dict[str, int] = field(default_factory=dict)
    pass_throughputs: list[float] = field(default_factory=list)
    pass_p50s: list[float] = field(default_factory=list)

    @property
    def server_cpu_per_call(self) -> float:
        return self.server_cpu / max(self.measurement.requests, 1)

    def summary(self) -> dict[str, Any]:
        m = self.measurement
        per_call = 1000 / max(m.requests, 1)
        return {
            "config": self.config.label,
            "server": self.config.describe(),
            "protocol": self.protocol,
            "scenario": self.scenario.label,
            "tool": self.scenario.tool,
            "arguments": self.scenario.arguments,
            **m.summary(),
            "server_cpu_ms_per_call": round(self.server_cpu * per_call, 3),
            "postgres_cpu_ms_per_call": round(self.postgres_cpu * per_call, 3),
            "client_cpu_share": round(self.client_cpu / m.seconds, 2) if m.seconds else None,
            "voting_queries": self.voting_queries,
            "server_rss_mib": round(self.memory_kib.get("VmRSS", 0) / 1024, 1),
            "server_peak_rss_mib": round(self.memory_kib.get("VmHWM", 0) / 1024, 1),
        }


def compare(subject: ScenarioResult, reference: ScenarioResult) -> dict[str, Any]:
    """One scenario against another of the same server and wire form: the median of the ratios of passes run
    back to back (robust to a neighbour stealing CPU for a few seconds), and pooled figures."""
    pooled_s, pooled_r = subject.measurement.summary(), reference.measurement.summary()
    pairs = list(zip(subject.pass_throughputs, reference.pass_throughputs, strict=False))
    throughput = statistics.median(s / r for s, r in pairs)
    p50 = statistics.median(s / r for s, r in zip(subject.pass_p50s, reference.pass_p50s, strict=False))
    against_noop = reference.scenario == NOOP and subject.scenario.tool == VOTING_TOOL
    return {
        "config": subject.config.label,
        "protocol": subject.protocol,
        "scenario": subject.scenario.label,
        "reference": reference.scenario.label,
        "throughput_ratio": round(throughput, 3),
        "p50_ratio": round(p50, 3),
        "pooled_throughput_ratio": round(pooled_s["throughput_rps"] / pooled_r["throughput_rps"], 3),
        "pooled_p50_ratio": round(pooled_s["p50_ms"] / pooled_r["p50_ms"], 3),
        "pooled_p99_ratio": round(pooled_s["p99_ms"] / pooled_r["p99_ms"], 3),
        "server_cpu_per_call_ratio": round(subject.server_cpu_per_call / reference.server_cpu_per_call, 3),
        "pass_throughput_ratios": [round(s / r, 3) for s, r in pairs],
        "meets_targets": (throughput >= TARGET_THROUGHPUT_RATIO and p50 <= TARGET_P50_RATIO) if against_noop else None,
    }


def ratios(results: list[ScenarioResult]) -> list[dict[str, Any]]:
    """Voting (both scenarios) against the no-op, where the issue's targets apply; the echo against the no-op
    (what the answer's size alone costs) and voting against the echo (the work left per call)."""
    found = {(r.config.label, r.protocol, r.scenario.label): r for r in results}
    pairs = ((VOTING, NOOP), (VOTING_OPEN_ROUND, NOOP), (ECHO, NOOP), (VOTING, ECHO), (SUMMARY, NOOP))
    rows = []
    for config, protocol in dict.fromkeys((r.config.label, r.protocol) for r in results):
        for subject, reference in pairs:
            s, r = found.get((config, protocol, subject.label)), found.get((config, protocol, reference.label))
            if s is not None and r is not None:
                rows.append(compare(s, r))
    return rows


def print_report(results: list[ScenarioResult], ratio_rows: list[dict[str, Any]], data: dict[str, Any]) -> None:
    print(f"\ndata: scale {data['scale']}, loaded in {data['seconds']} s; rows: {data['table_rows']}")
    header = (
        f"{'config':<11} {'proto':<6} {'scenario':<18} {'calls':>6} {'err':>3} {'calls/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'srv ms/c':>8} {'pg ms/c':>7} {'client':>6} {'queries':>7} {'RSS MiB':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for result in results:
        s = result.summary()
        cap = "*" if s["stopped_by_time_cap"] else ""
        print(
            f"{s['config']:<11} {s['protocol']:<6} {s['scenario']:<18} {s['requests']:>5}{cap:1} {s['errors']:>3} "
            f"{s['throughput_rps']:>7.0f} {s['p50_ms']:>7.2f} {s['p99_ms']:>7.2f} "
            f"{s['server_cpu_ms_per_call']:>8.3f} {s['postgres_cpu_ms_per_call']:>7.3f} "
            f"{s['client_cpu_share']:>6.2f} {s['voting_queries']:>7} {s['server_rss_mib']:>7.1f}"
        )
    print(
        "(srv/pg ms/c: server / Postgres CPU per call; client: load generator's share of a core; queries: voting "
        "aggregations that reached Postgres; * stopped by the time cap)\n"
    )
    for row in ratio_rows:
        verdict = {True: " → meets the targets", False: " → misses the targets", None: ""}[row["meets_targets"]]
        print(
            f"{row['config']:<11} {row['protocol']:<6} {row['scenario']:<18} vs {row['reference']:<16}: "
            f"throughput {row['throughput_ratio']:.2f}×, p50 {row['p50_ratio']:.2f}×, "
            f"p99 {row['pooled_p99_ratio']:.2f}×, server CPU/call {row['server_cpu_per_call_ratio']:.2f}×{verdict}"
        )
    print(
        f"(targets: throughput ≥ {TARGET_THROUGHPUT_RATIO}×, p50 ≤ {TARGET_P50_RATIO}×; throughput and p50 ratios are "
        "medians over back-to-back passes, pooled figures are in the JSON)"
    )
