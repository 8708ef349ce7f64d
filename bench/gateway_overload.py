"""`make bench` (overload): 256 connections at once against one gateway; do its probes still answer in time?

The gateway runs as `abcodex-gateway` serves it (`mcp_server.cli.serve_http`: uvicorn's options, the probe
listener) in its own process (this module's `serve` command), on the demo data in one embedded Postgres
(`bench.gateway_processes`). For `--seconds`, `--connections` workers call `get_event_details` back to back,
each on a connection opened at the same moment and kept (keep-alive), or on a new connection per call
(fresh: many clients connecting at once fill the accept queue). A shed worker waits the `Retry-After` it was
given (`--ignore-retry-after`: it does not). Meanwhile one prober process per target opens a fresh connection
every 100 ms, as the kubelet does. Reported per variant: probe latency (p50/p99/max, answers over 1 s),
calls served and shed (and the server's own shed count), p50/p99 of the served calls, the server's RSS and
its exit status on SIGTERM right after. `--compare` adds other bounds, uvicorn's `limit_concurrency` and a
short `backlog`.

    uv run --frozen python -m bench.gateway_overload [--connections 256] [--seconds 8] [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench.gateway_load import call_once, decode_answer, looks_successful, percentile, prepare_call
from bench.gateway_processes import memory_kib, prepare_database, start_postgres
from bench.results import RESULTS_DIR, save_report
from mcp_server.repository.demo_scale import LIVE_EID

TOKEN_VARIABLE = "BENCH_GATEWAY_TOKEN"
TOOL = "get_event_details"
NO_SHEDDING = 100_000  # MCP_GATEWAY_MAX_IN_FLIGHT's ceiling, never reached: the gateway as it was before
PROBE_EVERY_SECONDS = 0.1
PROBE_TIMEOUT_SECONDS = 15.0  # long enough to see how late the main port answers, not only that it is late
KUBELET_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Variant:
    label: str
    max_in_flight: int
    fresh: bool = False
    server_options: dict[str, int] = field(default_factory=dict)


VARIANTS = (
    Variant("before (no shedding), keep-alive", NO_SHEDDING),
    Variant("default (64 in flight), keep-alive", 64),
    Variant("before (no shedding), fresh connections", NO_SHEDDING, fresh=True),
    Variant("default (64 in flight), fresh connections", 64, fresh=True),
)
COMPARE = (
    Variant("16 in flight, keep-alive", 16),
    Variant("32 in flight, keep-alive", 32),
    Variant("128 in flight, keep-alive", 128),
    Variant("uvicorn limit_concurrency=64 instead, keep-alive", NO_SHEDDING, server_options={"limit_concurrency": 64}),
    Variant("64 in flight + uvicorn backlog=64, fresh connections", 64, True, {"backlog": 64}),
)


def serve(args: argparse.Namespace) -> None:
    """The gateway process: `serve_http` as `abcodex-gateway` runs it, on the ports the bench chose."""
    from mcp_server.cli import serve_http  # noqa: PLC0415 - only the child serves
    from mcp_server.logs import configure_logging  # noqa: PLC0415
    from mcp_server.settings import GatewaySettings  # noqa: PLC0415

    configure_logging("INFO", "json")  # as in the cluster: one log line per call is part of each call's cost
    settings = GatewaySettings(
        database_url=args.database_url,
        mcp_gateway_auth_token=os.environ[TOKEN_VARIABLE],
        mcp_gateway_port=args.port,
        mcp_gateway_probe_port=args.probe_port,
        mcp_gateway_max_in_flight=args.max_in_flight,
        # one load generator is one client: the per-client limit is not what is measured here
        mcp_gateway_rate_limit_per_second=100_000,
        mcp_gateway_rate_limit_burst=1_000_000,
        log_format="json",
    )
    serve_http(settings, json.loads(args.server_options))


def probe(args: argparse.Namespace) -> None:
    """A prober process: a fresh connection every 100 ms from "go" on, like the kubelet; prints the answers."""
    host, _, rest = args.url.removeprefix("http://").partition(":")
    port, _, path = rest.partition("/")
    answers: list[tuple[float, int, str]] = []  # seconds, status (0: no answer), body when not 200
    print("ready", flush=True)
    sys.stdin.readline()  # "go": the flood starts now
    next_at = time.perf_counter()
    deadline = next_at + args.seconds
    while next_at < deadline:
        time.sleep(max(0.0, next_at - time.perf_counter()))  # the probe period, not a wait for state
        started = time.perf_counter()
        status, body = _fetch_fresh(host, int(port), "/" + path)
        answers.append((time.perf_counter() - started, status, "" if status == 200 else body[:300]))
        next_at = max(next_at + PROBE_EVERY_SECONDS, time.perf_counter())
    print(json.dumps(answers))


def _fetch_fresh(host: str, port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=PROBE_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as exc:
        return 0, repr(exc)  # no answer within the timeout, or refused
    finally:
        connection.close()


@dataclass
class Flood:
    served: list[float] = field(default_factory=list)
    shed: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        served, shed = sorted(self.served), sorted(self.shed)
        return {
            "served": len(served),
            "shed": len(shed),
            "errors": self.errors,
            "served_per_second": round(len(served) / self.seconds, 1),
            "served_p50_ms": _ms(percentile(served, 0.5)),
            "served_p99_ms": _ms(percentile(served, 0.99)),
            "served_max_ms": _ms(served[-1] if served else float("nan")),
            "shed_p99_ms": _ms(percentile(shed, 0.99)),
        }


async def flood(url: str, token: str, fresh: bool, args: argparse.Namespace) -> Flood:
    """`args.connections` workers calling back to back for `args.seconds`."""
    call = prepare_call(TOOL, {"eid": LIVE_EID}, token, "modern")
    result = Flood()
    connector = aiohttp.TCPConnector(limit=args.connections, force_close=fresh)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        started = time.perf_counter()
        deadline = started + args.seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    status, payload = await call_once(session, url, call)
                except (aiohttp.ClientError, TimeoutError):
                    result.errors += 1
                    continue
                elapsed = time.perf_counter() - sent
                if status == 503:
                    result.shed.append(elapsed)
                    if not args.ignore_retry_after:
                        await asyncio.sleep(1.0)  # our Retry-After; uvicorn's own 503 has none: the same wait
                elif looks_successful(status, payload):
                    result.served.append(elapsed)
                else:
                    result.errors += 1

        await asyncio.gather(*(worker() for _ in range(args.connections)))
        result.seconds = time.perf_counter() - started
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _probe_summary(answers: list[list[Any]]) -> dict[str, Any]:
    latencies = sorted(seconds for seconds, _, _ in answers)
    return {
        "probes": len(answers),
        "p50_ms": _ms(percentile(latencies, 0.5)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(latencies[-1] if latencies else float("nan")),
        "over_1s": sum(seconds > KUBELET_TIMEOUT_SECONDS for seconds in latencies),
        "statuses": {str(s): sum(status == s for _, status, _ in answers) for s in {a[1] for a in answers}},
        "first_failure": next((body for _, status, body in answers if status != 200), None),
    }


async def _started(command: list[str], env: dict[str, str], log: Path, probe_port: int) -> subprocess.Popen[bytes]:
    """The gateway process, once its probe port says ready."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)  # noqa: ASYNC220 - not measured
    for _ in range(600):  # 60 s at most, for migrations and the first readiness round
        if process.poll() is not None:
            break
        if (await asyncio.to_thread(_fetch_fresh, "127.0.0.1", probe_port, "/readyz"))[0] == 200:
            return process
        await asyncio.sleep(0.1)
    tail = await asyncio.to_thread(log.read_text, errors="replace")
    raise RuntimeError(f"gateway did not become ready:\n{tail[-2000:]}")


async def _check_answer(session: aiohttp.ClientSession, url: str, token: str) -> None:
    status, payload = await call_once(session, url, prepare_call(TOOL, {"eid": LIVE_EID}, token, "modern"))
    content = decode_answer(payload).get("result", {}).get("structuredContent", {})
    if status != 200 or content.get("eid") != LIVE_EID:
        raise RuntimeError(f"unexpected answer {status} {payload[:300]!r}")


async def _shed_by_server(session: aiohttp.ClientSession, base_url: str) -> float:
    async with session.get(base_url + "/metrics") as response:
        lines = (await response.text()).splitlines()
    return float(next((line.split()[1] for line in lines if line.startswith("abcodex_requests_shed_total ")), "nan"))


async def _prober(url: str, seconds: float) -> asyncio.subprocess.Process:
    """A prober process, imported and waiting for "go" (the flood's start)."""
    command = [sys.executable, "-m", "bench.gateway_overload", "probe", f"--seconds={seconds}", url]
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe)
    await process.stdout.readline()  # type: ignore[union-attr]
    return process


async def _answers(process: asyncio.subprocess.Process) -> list[list[Any]]:
    answers: list[list[Any]] = json.loads((await process.communicate(b"go\n"))[0])
    return answers


async def measure(variant: Variant, database_url: str, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    token, port, probe_port = secrets.token_urlsafe(24), _free_port(), _free_port()
    base, probes = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{probe_port}"
    command = [
        *(sys.executable, "-m", "bench.gateway_overload", "serve", f"--database-url={database_url}"),
        *(f"--port={port}", f"--probe-port={probe_port}", f"--max-in-flight={variant.max_in_flight}"),
        f"--server-options={json.dumps(variant.server_options)}",
    ]
    env = {**os.environ, TOKEN_VARIABLE: token}
    process = await _started(command, env, logs / f"gateway-{port}.log", probe_port)
    try:
        async with aiohttp.ClientSession() as session:
            await _check_answer(session, base + "/mcp", token)
            idle_kib = memory_kib(process.pid)["VmRSS"]
            targets = {"probe port /healthz": f"{probes}/healthz", "probe port /readyz": f"{probes}/readyz"}
            targets["main port /healthz"] = f"{base}/healthz"
            probers = {name: await _prober(url, args.seconds) for name, url in targets.items()}
            probing = asyncio.gather(*(_answers(prober) for prober in probers.values()))
            burst = await flood(base + "/mcp", token, variant.fresh, args)
            answers = dict(zip(probers, await probing, strict=True))
            memory = memory_kib(process.pid)
            shed_by_server = await _shed_by_server(session, base)
    finally:
        process.send_signal(signal.SIGTERM)
        exit_status = await asyncio.to_thread(process.wait, 30)
    return {
        "variant": variant.label,
        "max_in_flight": variant.max_in_flight,
        "fresh_connections": variant.fresh,
        "server_options": variant.server_options,
        "calls": burst.summary() | {"shed_counted_by_server": shed_by_server},
        "probes": {name: _probe_summary(found) for name, found in answers.items()},
        "rss_mib": {"idle": round(idle_kib / 1024, 1), "after": round(memory["VmRSS"] / 1024, 1)},
        "rss_peak_mib": round(memory["VmHWM"] / 1024, 1),
        "exit_status_on_sigterm": exit_status,
    }


CALLS_LINE = (
    "  calls  served {served} ({served_per_second}/s): p50 {served_p50_ms} ms, p99 {served_p99_ms} ms, max "
    "{served_max_ms} ms; shed {shed} (server: {shed_counted_by_server:g}, p99 {shed_p99_ms} ms); errors {errors}"
)
PROBE_LINE = (
    "  {name:<19} p50 {p50_ms:>6} ms  p99 {p99_ms:>7} ms  max {max_ms:>7} ms  >1 s: {over_1s}/{probes}  {statuses}"
)
SERVER_LINE = "  server RSS {idle} MiB idle, {after} MiB after (peak {peak} MiB); exit status on SIGTERM {exit}"


def print_report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    backoff = "ignored" if args.ignore_retry_after else "honoured"
    print(f"\n{args.connections} connections, {args.seconds:g} s of `{TOOL}` back to back, Retry-After {backoff}")
    for result in results:
        print(f"\n{result['variant']}\n" + CALLS_LINE.format(**result["calls"]))
        for name, found in result["probes"].items():
            print(PROBE_LINE.format(name=name, **found))
        peak, exit_status = result["rss_peak_mib"], result["exit_status_on_sigterm"]
        print(SERVER_LINE.format(**result["rss_mib"], peak=peak, exit=exit_status))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    postgres = await asyncio.to_thread(start_postgres)
    try:
        database_url, data = await prepare_database(postgres, args.scale)
        results = []
        with tempfile.TemporaryDirectory(prefix="abcodex-overload-logs-") as logs:
            for variant in VARIANTS + (COMPARE if args.compare else ()):
                print(f"measuring {variant.label}", flush=True)
                results.append(await measure(variant, database_url, args, Path(logs)))
    finally:
        postgres.stop("immediate")
    print_report(results, args)
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "data": data,
        "variants": results,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_overload", description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long the flood lasts per variant")
    parser.add_argument("--scale", type=float, default=0.05, help="demo scale data (the live event AB5001)")
    parser.add_argument("--ignore-retry-after", action="store_true", help="shed workers retry at once")
    parser.add_argument("--compare", action="store_true", help="also other bounds and uvicorn's own limits")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    commands = parser.add_subparsers(dest="command")
    child = commands.add_parser("serve", help="(internal) the gateway process")
    for option in ("--database-url", "--port", "--probe-port", "--max-in-flight"):
        child.add_argument(option, required=True, type=int if option.endswith(("port", "flight")) else str)
    child.add_argument("--server-options", default="{}", help="JSON: extra uvicorn.Config options")
    prober = commands.add_parser("probe", help="(internal) one prober process")
    prober.add_argument("url")
    prober.add_argument("--seconds", type=float, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in {"serve", "probe"}:
        (serve if args.command == "serve" else probe)(args)
        return 0
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        report = runner.run(bench(args))
    save_report(report, args.output, "gateway-overload")
    return 0


if __name__ == "__main__":
    sys.exit(main())
