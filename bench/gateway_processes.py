"""What the bench runs besides itself: one embedded Postgres with the scale data, and gateway processes.

Postgres is the embedded default's mechanism (`EmbeddedPostgres`, non-durable, in a temporary directory, run
as the `postgres` user when root). Each gateway is `python -m bench.gateway_server` in its own process on a
loopback socket the bench binds first; CPU and memory are read from /proc.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.gateway_server import STATS_PATH, TOKEN_VARIABLE
from mcp_server.repository.demo_loader import load_demo_data
from mcp_server.repository.demo_scale import load_scale_data
from mcp_server.repository.embedded import EmbeddedPostgres, scratch_cluster
from mcp_server.repository.migrations import apply_migrations

DATABASE = "bench"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def start_postgres() -> EmbeddedPostgres:
    return scratch_cluster("abcodex-bench-pg-")


async def prepare_database(server: EmbeddedPostgres, scale: float) -> tuple[str, dict[str, Any]]:
    """A database with the gateway's schema, the demo data and the scale data; returns its DSN and what was
    loaded, with the time it took."""
    connection = await asyncpg.connect(await server.create_database(DATABASE))
    started = time.perf_counter()
    try:
        await apply_migrations(connection, ("production", "abcodex"))
        await load_demo_data(connection)
        rows = await load_scale_data(connection, scale)
        totals = {t: await connection.fetchval(f"SELECT count(*) FROM {t}") for t in ("events", "votes", "bids")}
    finally:
        await connection.close()
    return server.dsn(DATABASE), {
        "scale": scale,
        "seconds": round(time.perf_counter() - started, 2),
        "scale_rows": rows,
        "table_rows": totals,
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0])
    return values


def postgres_cpu_seconds(server: EmbeddedPostgres) -> float:
    """CPU of the postmaster and all its backends (the gateway's queries and the audit writes)."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    total = _cpu_seconds(postmaster)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
            total += _cpu_seconds(int(entry.name))
    return total


@dataclass(frozen=True)
class ServerConfig:
    label: str
    live_cache_seconds: float = 1.0
    loop: str = "uvloop"
    http: str = "httptools"
    transport: str = "json"
    coalescing: bool = True

    def describe(self) -> str:
        reads = f"LIVE_CACHE_SECONDS={self.live_cache_seconds:g}" + ("" if self.coalescing else ", no single-flight")
        return f"{self.loop}+{self.http}, {self.transport} answers, {reads}"


@dataclass
class GatewayProcess:
    config: ServerConfig
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"{self.base_url}/mcp"

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def memory_kib(self) -> dict[str, int]:
        return memory_kib(self.process.pid)

    async def voting_queries(self, session: aiohttp.ClientSession) -> int:
        async with session.get(self.base_url + STATS_PATH) as response:
            stats: dict[str, int] = await response.json()
        return stats["voting_queries"]


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


async def _wait_ready(session: aiohttp.ClientSession, gateway: GatewayProcess, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            break
        try:
            async with session.get(gateway.base_url + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    log = gateway.log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"gateway ({gateway.config.label}) did not become ready:\n{log}")


@asynccontextmanager
async def gateway_process(
    config: ServerConfig, database_url: str, token: str, log_dir: Path, session: aiohttp.ClientSession
) -> AsyncIterator[GatewayProcess]:
    """A gateway in its own process, ready to serve; stopped with SIGTERM (graceful) afterwards."""
    sock = _listening_socket()
    port = sock.getsockname()[1]
    log_path = log_dir / f"gateway-{port}.log"
    command = [
        sys.executable,
        "-m",
        "bench.gateway_server",
        f"--fd={sock.fileno()}",
        f"--database-url={database_url}",
        f"--live-cache-seconds={config.live_cache_seconds}",
        f"--loop={config.loop}",
        f"--http={config.http}",
        f"--transport={config.transport}",
        *([] if config.coalescing else ["--no-coalescing"]),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - start-up only, not on the measured path
            command, pass_fds=[sock.fileno()], stdout=log, stderr=log, env={**os.environ, TOKEN_VARIABLE: token}
        )
    sock.close()  # the child holds it now
    gateway = GatewayProcess(config, process, f"http://127.0.0.1:{port}", log_path)
    try:
        await _wait_ready(session, gateway, within=60)
        yield gateway
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
