"""`make bench`: the live-voting tool against a no-op tool, same server, same run, at production-like volume.

One embedded Postgres gets the demo data plus `--scale` data (AB5001 live: 3 rounds × 12 easels, 20,000
weighted votes; a season of 300 past events). Each server configuration runs in its own process, so the load
generator never shares the server's event loop; it sends raw JSON-RPC `tools/call` POSTs (bearer token, the
2026-07-28 per-request form) at a fixed concurrency, bounded in count and time, after a warm-up whose first
answer is checked in full. Five scenarios on the production server: the no-op, voting for all rounds (36
easels), voting for the open round (12 easels), an echo of the all-rounds answer (the no-op with the answer's
size) and `get_event_summary` of the live event (the heaviest read added since; capped at 3 s a pass), in
short rotating passes. Three server configurations, same code:

- production: `LIVE_CACHE_SECONDS=1` (default) with single-flight coalescing;
- no cache: `LIVE_CACHE_SECONDS=0`, identical concurrent reads still coalesced;
- one query: no cache and no coalescing, every call runs the aggregation (the honest baseline).

Reported per scenario: throughput, p50/p99, server and Postgres CPU per call, voting queries that reached
Postgres, server RSS; then the ratios to the no-op that the issue sets targets for (throughput ≥ 0.8×,
p50 ≤ 1.3×). `--compare` adds the legacy stateless wire form, asyncio+h11 and SSE answers. JSON results go
to bench/results/ (gitignored).

    uv run --frozen python -m bench.gateway_bench [--scale 1] [--requests 3000] [--concurrency 32] [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench.gateway_load import (
    PreparedCall,
    Protocol,
    call_once,
    decode_answer,
    drive,
    http_session,
    prepare_call,
)
from bench.gateway_processes import (
    GatewayProcess,
    ServerConfig,
    gateway_process,
    postgres_cpu_seconds,
    prepare_database,
    start_postgres,
)
from bench.gateway_report import (
    NOOP,
    SCENARIOS,
    VOTING,
    VOTING_OPEN_ROUND,
    VOTING_TOOL,
    Scenario,
    ScenarioResult,
    print_report,
    ratios,
)
from bench.gateway_server import ECHO_TOOL
from bench.results import RESULTS_DIR, save_report
from mcp_server.repository.demo_scale import LIVE_EASELS, LIVE_EID, ROUNDS, ScalePlan
from mcp_server.repository.embedded import EmbeddedPostgres


@dataclass(frozen=True)
class Run:
    """One server configuration, the wire forms and the scenarios measured against it."""

    config: ServerConfig
    protocols: tuple[Protocol, ...] = ("modern",)
    scenarios: tuple[Scenario, ...] = (NOOP, VOTING, VOTING_OPEN_ROUND)


def planned_runs(compare: bool) -> list[Run]:
    runs = [
        Run(ServerConfig("production"), scenarios=SCENARIOS),
        Run(ServerConfig("no cache", live_cache_seconds=0)),
        Run(ServerConfig("one query", live_cache_seconds=0, coalescing=False)),
    ]
    if compare:
        runs += [
            Run(ServerConfig("production"), ("legacy",), (NOOP, VOTING)),
            Run(ServerConfig("asyncio+h11", loop="asyncio", http="h11"), scenarios=(NOOP, VOTING)),
            Run(ServerConfig("sse", transport="sse"), ("legacy",), (NOOP, VOTING)),
        ]
    return runs


@dataclass
class Bench:
    args: argparse.Namespace
    postgres: EmbeddedPostgres
    database_url: str
    token: str
    session: aiohttp.ClientSession
    deadline: float
    results: list[ScenarioResult] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def call(self, scenario: Scenario, protocol: Protocol) -> PreparedCall:
        return prepare_call(scenario.tool, scenario.arguments, self.token, protocol)

    async def run(self, run: Run, log_dir: Path) -> None:
        async with gateway_process(run.config, self.database_url, self.token, log_dir, self.session) as gateway:
            for protocol in run.protocols:
                await self.measure(gateway, protocol, run.scenarios)

    async def measure(self, gateway: GatewayProcess, protocol: Protocol, scenarios: tuple[Scenario, ...]) -> None:
        results = [ScenarioResult(gateway.config, protocol, scenario) for scenario in scenarios]
        for result in results:
            await self.warm_up(gateway, result.scenario, protocol)
        per_pass = max(1, self.args.requests // self.args.passes)
        for number in range(self.args.passes):
            # Short passes in rotating order: every scenario sees the same machine (neighbours, CPU boost) in turn.
            shift = number % len(results)
            for result in results[shift:] + results[:shift]:
                await self.one_pass(gateway, self.call(result.scenario, protocol), result, per_pass)
        self.results.extend(results)

    async def warm_up(self, gateway: GatewayProcess, scenario: Scenario, protocol: Protocol) -> None:
        call = self.call(scenario, protocol)
        status, payload = await call_once(self.session, gateway.url, call)
        self.check_answer(gateway.config, scenario, status, payload)
        await drive(
            self.session, gateway.url, call, concurrency=self.args.concurrency, total=self.args.warmup, time_cap=10
        )

    def check_answer(self, config: ServerConfig, scenario: Scenario, status: int, payload: bytes) -> None:
        """The measured calls must do the real work: the voting answer covers every round, easel and vote."""
        message = decode_answer(payload)
        result = message.get("result") or {}
        content = result.get("structuredContent") or {}
        if status != 200 or result.get("isError") or content.get("eid") != LIVE_EID:
            raise RuntimeError(f"{scenario.label} on {config.label}: unexpected answer {status} {payload[:300]!r}")
        if scenario.tool not in {VOTING_TOOL, ECHO_TOOL}:
            return
        plan = ScalePlan.of(self.args.scale)
        rounds = content["rounds"]
        found = (len(rounds), sum(len(r["easels"]) for r in rounds), sum(r["total_raw_votes"] for r in rounds))
        if scenario.round is None:
            expected = (ROUNDS, ROUNDS * LIVE_EASELS, plan.live_votes)
        else:
            expected = (1, LIVE_EASELS, plan.live_votes_per_round[scenario.round - 1])
        if found != expected:
            raise RuntimeError(f"{scenario.label}: (rounds, easels, votes) {found}, expected {expected}")
        if content["max_age_seconds"] != config.live_cache_seconds:
            raise RuntimeError(f"server reports max_age_seconds={content['max_age_seconds']}")
        self.checks.append(
            f"{config.label} / {scenario.label}: {found[2]} votes over {found[1]} easels, answer {len(payload)} bytes"
        )

    async def one_pass(self, gateway: GatewayProcess, call: PreparedCall, result: ScenarioResult, calls: int) -> None:
        time_cap = min(
            self.args.time_cap,
            result.scenario.seconds_per_pass or self.args.time_cap,
            max(1.0, self.deadline - time.monotonic()),
        )
        queries, server_cpu = await gateway.voting_queries(self.session), gateway.cpu_seconds()
        postgres_cpu, client_cpu = postgres_cpu_seconds(self.postgres), time.process_time()
        measurement = await drive(
            self.session,
            gateway.url,
            call,
            concurrency=self.args.concurrency,
            total=calls,
            time_cap=time_cap,
        )
        result.client_cpu += time.process_time() - client_cpu
        result.server_cpu += gateway.cpu_seconds() - server_cpu
        result.postgres_cpu += postgres_cpu_seconds(self.postgres) - postgres_cpu
        result.voting_queries += await gateway.voting_queries(self.session) - queries
        result.memory_kib = gateway.memory_kib()
        result.measurement.merge(measurement)
        result.pass_throughputs.append(measurement.throughput)
        result.pass_p50s.append(measurement.summary()["p50_ms"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale factor (1 = production-like)")
    parser.add_argument("--requests", type=int, default=3000, help="measured calls per scenario")
    parser.add_argument("--passes", type=int, default=6, help="alternating passes the calls are split into")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=300, help="calls per scenario before measuring")
    parser.add_argument("--time-cap", type=float, default=20.0, help="seconds per pass at most")
    parser.add_argument("--budget", type=float, default=170.0, help="seconds for the whole bench at most")
    parser.add_argument("--compare", action="store_true", help="also legacy protocol, asyncio+h11, SSE answers")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    return parser


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    postgres = await asyncio.to_thread(start_postgres)
    database_url, data = await prepare_database(postgres, args.scale)
    print(f"postgres ready; demo + scale {args.scale} data loaded in {data['seconds']} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="abcodex-bench-logs-") as logs:
        async with http_session(args.concurrency) as session:
            runner = Bench(args, postgres, database_url, secrets.token_urlsafe(24), session, started + args.budget)
            for run in planned_runs(args.compare):
                if time.monotonic() > runner.deadline:
                    print(f"skipped {run.config.label}: time budget spent", flush=True)
                    continue
                print(f"measuring {run.config.label} ({run.config.describe()})", flush=True)
                await runner.run(run, Path(logs))
    ratio_rows = ratios(runner.results)
    print_report(runner.results, ratio_rows, data)
    for line in runner.checks:
        print(f"checked: {line}")
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "data": data,
        "scenarios": [r.summary() for r in runner.results],
        "ratios": ratio_rows,
        "checks": runner.checks,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        report = runner.run(bench(args))
    save_report(report, args.output, "gateway-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
