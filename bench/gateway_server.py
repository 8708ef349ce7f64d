"""The gateway as `make bench` serves it: the production app plus two reference tools, in its own process.

Started by `bench.gateway_bench` as `python -m bench.gateway_server --fd N ...` on a listening socket the
bench bound (loopback). Everything but the additions below is `build_gateway(settings)` served by uvicorn with
the options `abcodex-gateway` uses, so the no-op and the real tools share one server configuration:

- `bench_noop(eid)`: an async tool with the same argument, annotations and middleware (auth, policy, log
  line, metrics, audit) as the read tools, that does nothing and returns a tiny model: the issue's reference.
- `bench_echo(eid, round?)`: answers a copy of the live voting answer read once at its first call, through the
  same SDK path: the no-op with the voting answer's size. Voting against it shows the work left per call
  (cache lookup, shaping) apart from what any answer of that size costs to validate, serialise and send.
- `GET /bench/stats` (unauthenticated, loopback): how many voting queries reached Postgres, so the report can
  show what coalescing and the cache saved.
- `--no-coalescing`: every call runs its own query (the baseline the issue compares against).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import uvicorn
from mcp.server.mcpserver import Context
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.app import Gateway, build_gateway
from mcp_server.cache import CoalescingCache
from mcp_server.cli import DrainingServer
from mcp_server.domain.models import VotingStatus
from mcp_server.logs import configure_logging
from mcp_server.repository import live
from mcp_server.repository.pool import Database
from mcp_server.settings import GatewaySettings
from mcp_server.tools import Eid, RoundNumber, read_service

NOOP_TOOL = "bench_noop"
ECHO_TOOL = "bench_echo"
STATS_PATH = "/bench/stats"
TOKEN_VARIABLE = "BENCH_GATEWAY_TOKEN"


class Pong(BaseModel):
    model_config = ConfigDict(frozen=True)

    eid: str
    ok: bool = True


async def bench_noop(eid: Eid, ctx: Context) -> Pong:
    """Does nothing and answers at once: the load test's reference for the cost of the MCP stack itself."""
    return Pong(eid=eid)


_ECHOES: dict[tuple[str, int | None], VotingStatus] = {}


async def bench_echo(eid: Eid, ctx: Context, round: RoundNumber = None) -> VotingStatus:
    """Answers a copy of the live voting answer, read once: a no-op whose answer has the voting answer's size."""
    answer = _ECHOES.get((eid, round))
    if answer is None:
        answer = _ECHOES[(eid, round)] = await read_service(ctx).voting_status(eid, round)
    return answer


def add_bench_tools(gateway: Gateway) -> None:
    """Register the bench tools exactly like the gateway's read tools (same annotations, policy, audit)."""
    gateway.add_read_tool(bench_noop, NOOP_TOOL)
    gateway.add_read_tool(bench_echo, ECHO_TOOL)


def disable_coalescing() -> None:
    """Every call runs its own query: the honest one-query-per-call baseline (not a production setting)."""

    async def get(self: CoalescingCache[Any], key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        return await load()

    CoalescingCache.get = get  # type: ignore[method-assign]


class QueryCounter:
    """Counts voting aggregations that actually run (cache misses after coalescing)."""

    def __init__(self) -> None:
        self.voting_queries = 0
        original = live.voting_tallies

        async def counted(db: Database, eid: str, round_number: int | None) -> dict[str, Any] | None:
            self.voting_queries += 1
            return await original(db, eid, round_number)

        live.voting_tallies = counted


def with_stats_route(app: ASGIApp, counter: QueryCounter) -> ASGIApp:
    headers = [(b"content-type", b"application/json")]

    async def stats_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == STATS_PATH:
            body = json.dumps({"voting_queries": counter.voting_queries}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return stats_app


def sse_http_app(gateway: Gateway) -> ASGIApp:
    """The stack of `mcp_server.app._http_app` with `json_response=False` (SSE answers), to compare transports."""
    from mcp.server.transport_security import TransportSecuritySettings  # noqa: PLC0415

    from mcp_server.app import InFlightCounter, TrimmedHeaders  # noqa: PLC0415
    from mcp_server.auth import BearerAuthMiddleware, TokenRegistry  # noqa: PLC0415

    settings = gateway.settings
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.allowed_hosts(),
        allowed_origins=settings.allowed_origins(),
    )
    app = gateway.mcp.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=False,
        stateless_http=True,
        transport_security=security,
        host=settings.mcp_gateway_host,
    )
    token = settings.mcp_gateway_auth_token.get_secret_value() if settings.mcp_gateway_auth_token else None
    return InFlightCounter(TrimmedHeaders(BearerAuthMiddleware(app, TokenRegistry.build(token, None))), gateway)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_server")
    parser.add_argument("--fd", type=int, required=True, help="listening socket inherited from the bench")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--live-cache-seconds", type=float, default=1.0)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--http", choices=("httptools", "h11"), default="httptools")
    parser.add_argument("--transport", choices=("json", "sse"), default="json")
    parser.add_argument("--no-coalescing", action="store_true", help="one query per call (baseline)")
    parser.add_argument("--log-level", default="INFO")
    return parser


def serve(args: argparse.Namespace) -> None:
    configure_logging(args.log_level, "json")
    settings = GatewaySettings(
        database_url=args.database_url,
        mcp_gateway_auth_token=os.environ[TOKEN_VARIABLE],
        mcp_gateway_tokens_file=None,
        live_cache_seconds=args.live_cache_seconds,
        log_level=args.log_level,
        log_format="json",
    )
    if args.no_coalescing:
        disable_coalescing()
    gateway = build_gateway(settings)
    add_bench_tools(gateway)
    app = gateway.http_app if args.transport == "json" else sse_http_app(gateway)
    sock = socket.socket(fileno=args.fd)
    # As `abcodex-gateway` configures uvicorn (mcp_server/cli.py: serve_http).
    config = uvicorn.Config(
        with_stats_route(app, QueryCounter()),
        loop=args.loop,
        http=args.http,
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    DrainingServer(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    serve(_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
