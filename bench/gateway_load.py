"""The load generator: raw JSON-RPC `tools/call` POSTs at a fixed concurrency, timed one by one.

Requests are pre-encoded and sent over keep-alive connections (aiohttp), so the client spends as little CPU
per call as Python allows; the server runs in another process. Two wire forms:

- `modern`: the 2026-07-28 per-request form: `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers,
  the protocol version and client capabilities in `params._meta`; no handshake, no session.
- `legacy`: the stateless streamable-HTTP form for 2025-11-25 clients: one POST per call, no `initialize`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

Protocol = Literal["modern", "legacy"]
MODERN_VERSION = "2026-07-28"
LEGACY_VERSION = "2025-11-25"
CLIENT_INFO = {"name": "abcodex-bench", "version": "1"}


@dataclass(frozen=True)
class PreparedCall:
    tool: str
    body: bytes
    headers: dict[str, str]


def prepare_call(tool: str, arguments: dict[str, Any], token: str, protocol: Protocol) -> PreparedCall:
    """The exact bytes and headers of one `tools/call`, as a real client would send them."""
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    if protocol == "modern":
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        }
        headers |= {"MCP-Protocol-Version": MODERN_VERSION, "Mcp-Method": "tools/call", "Mcp-Name": tool}
    else:
        headers["MCP-Protocol-Version"] = LEGACY_VERSION
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).encode()
    return PreparedCall(tool, body, headers)


def decode_answer(payload: bytes) -> dict[str, Any]:
    """The JSON-RPC message of a response, whether sent as JSON or as one SSE event."""
    text = payload.decode()
    if not text.lstrip().startswith("{"):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else "{}"
    message: dict[str, Any] = json.loads(text)
    return message


def looks_successful(status: int, payload: bytes) -> bool:
    """Cheap per-request check (full decoding is done on the warm-up answers)."""
    return status == 200 and b'"result"' in payload and b'"isError":true' not in payload


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Measurement:
    """Latencies (seconds) of one or more passes of one scenario, and the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    stopped_by_time_cap: bool = False

    def merge(self, other: Measurement) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.stopped_by_time_cap |= other.stopped_by_time_cap

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 3),
            "p90_ms": round(percentile(ordered, 0.90) * 1000, 3),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3) if ordered else math.nan,
            "stopped_by_time_cap": self.stopped_by_time_cap,
        }


def http_session(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False, enable_cleanup_closed=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def call_once(session: aiohttp.ClientSession, url: str, call: PreparedCall) -> tuple[int, bytes]:
    async with session.post(url, data=call.body, headers=call.headers) as response:
        return response.status, await response.read()


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    call: PreparedCall,
    *,
    concurrency: int,
    total: int,
    time_cap: float,
) -> Measurement:
    """`total` calls from `concurrency` workers (each waits for its answer before sending the next), at most
    `time_cap` seconds; latency is measured per call, throughput over the whole pass."""
    measurement = Measurement()
    issued = 0
    started = time.perf_counter()
    deadline = started + time_cap

    async def worker() -> None:
        nonlocal issued
        latencies = measurement.latencies
        while issued < total:
            if time.perf_counter() > deadline:
                measurement.stopped_by_time_cap = True
                return
            issued += 1
            sent = time.perf_counter()
            try:
                status, payload = await call_once(session, url, call)
            except (aiohttp.ClientError, TimeoutError):
                measurement.errors += 1
                continue
            latencies.append(time.perf_counter() - sent)
            if not looks_successful(status, payload):
                measurement.errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    measurement.seconds = time.perf_counter() - started
    return measurement
