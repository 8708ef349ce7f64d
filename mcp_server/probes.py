"""Probes the kubelet can always reach: a small HTTP listener in its own thread that never waits for the loop.

Under a burst the event loop can be seconds behind, and a probe's fresh connection to the main port waits in
the accept queue meanwhile, past the liveness timeout: the cluster would restart a healthy, busy gateway. So
`/healthz` and `/readyz` are also served on `MCP_GATEWAY_PROBE_PORT` by a stdlib server in its own thread
(it needs only the GIL, which the loop's thread hands over every few milliseconds), from state the loop
publishes:

- a heartbeat: a task on the loop stamps the time every 250 ms. `/healthz` fails only when the loop has not
  stamped for `MCP_GATEWAY_LOOP_STALL_SECONDS`: the loop is stuck, not merely busy;
- readiness: a task on the loop runs the gateway's readiness checks every second and keeps the latest
  result; `/readyz` answers it, and says not ready when the heartbeat is older than `READY_LAG_SECONDS`
  (a loop that far behind should take no new connections, though it is not dead).

`ProbedLifespan` runs both tasks for as long as the app's lifespan; the main port keeps its own routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.errors import ConfigurationError

Checks = dict[str, dict[str, Any]]
Answer = tuple[int, dict[str, Any]]
BEAT_SECONDS = 0.25
READINESS_EVERY_SECONDS = 1.0
# The old /readyz timeout in the manifests: a loop that could not answer within it was already not ready.
READY_LAG_SECONDS = 3.0


@dataclass(frozen=True)
class _Readiness:
    checks: MappingProxyType[str, dict[str, Any]]

    @property
    def ready(self) -> bool:
        return all(check["ok"] for check in self.checks.values())


_STARTING = _Readiness(MappingProxyType({"database": {"ok": False, "detail": "starting"}}))


@dataclass
class LoopProbes:
    """Liveness and readiness as published by the event loop, readable from any thread.

    The loop's tasks replace whole values (a float, a frozen snapshot), so a reader never sees half an update.
    """

    readiness_checks: Callable[[], Awaitable[Checks]]
    stall_seconds: float
    clock: Callable[[], float] = time.monotonic
    ready_lag_seconds: float = READY_LAG_SECONDS
    _last_beat: float = field(init=False)
    _readiness: _Readiness = field(init=False, default=_STARTING)

    def __post_init__(self) -> None:
        self._last_beat = self.clock()  # the loop gets the stall threshold to start, like any other pause

    def loop_lag(self) -> float:
        return max(0.0, self.clock() - self._last_beat)

    def liveness(self) -> Answer:
        lag = self.loop_lag()
        if lag > self.stall_seconds:
            return 503, {"status": "stalled", "detail": f"the event loop has not run for {lag:.1f} s"}
        return 200, {"status": "alive", "loop_lag_seconds": round(lag, 3)}

    def readiness(self) -> Answer:
        lag = self.loop_lag()
        loop_ok = lag <= min(self.ready_lag_seconds, self.stall_seconds)
        loop = {"ok": loop_ok, "detail": f"ran {lag:.1f} s ago"}
        current = self._readiness
        ready = current.ready and loop_ok
        body = {"status": "ready" if ready else "not_ready", "checks": {**current.checks, "event_loop": loop}}
        return (200 if ready else 503), body

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Stamp the heartbeat and refresh readiness on the current loop until the block ends."""
        tasks = [asyncio.create_task(self._beat()), asyncio.create_task(self._refresh_readiness())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _beat(self) -> None:
        while True:
            self._last_beat = self.clock()
            await asyncio.sleep(BEAT_SECONDS)

    async def _refresh_readiness(self) -> None:
        while True:
            try:
                checks = await self.readiness_checks()
            except Exception as exc:  # a failing check must not end the refreshing: it is a not-ready answer
                checks = {"readiness": {"ok": False, "detail": f"no answer ({exc.__class__.__name__})"}}
            self._readiness = _Readiness(MappingProxyType(checks))
            await asyncio.sleep(READINESS_EVERY_SECONDS)


class ProbedLifespan:
    """ASGI wrapper: the probes' loop tasks run for as long as the app's lifespan (start-up included)."""

    def __init__(self, app: ASGIApp, probes: LoopProbes) -> None:
        self._app = app
        self._probes = probes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        async with self._probes.running():
            await self._app(scope, receive, send)


class ProbeListener:
    """`/healthz` and `/readyz` of `probes` over HTTP on `host:port`, served from a thread of its own."""

    def __init__(self, probes: LoopProbes, host: str, port: int) -> None:
        try:
            self._server = _ProbeServer((host, port), probes)
        except OSError as exc:
            raise ConfigurationError(
                f"MCP_GATEWAY_PROBE_PORT: cannot listen on {host}:{port} ({exc.strerror}); choose a free port, "
                "or 0 to serve the probes on the main port only"
            ) from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="abcodex-probes", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> ProbeListener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ProbeServer(ThreadingHTTPServer):
    daemon_threads = True  # a probe in progress never holds up the process's exit
    request_queue_size = 128  # the stdlib's 5 is too few for a node's probes plus a port-forward or two

    def __init__(self, address: tuple[str, int], probes: LoopProbes) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.probes = probes
        super().__init__(address, _ProbeHandler)


class _ProbeHandler(BaseHTTPRequestHandler):
    server: _ProbeServer
    timeout = 2  # a connection that sends nothing gives up its thread
    server_version = "abcodex-probes"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        routes = {"/healthz": self.server.probes.liveness, "/readyz": self.server.probes.readiness}
        route = routes.get(self.path.partition("?")[0])
        status, body = route() if route else (404, {"error": "not_found"})
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the kubelet probes every few seconds, and failures show in the pod's events."""
