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

import uvicorn
from mcp.server.mcpserver import Context
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.app import Gateway, build_gateway
from mcp_server.arguments import Eid, RoundNumber
from mcp_server.cli import DrainingServer
from mcp_server.domain.models import VotingStatus
from mcp_server.live_cache import LiveCachePolicy
from mcp_server.logs import configure_logging
from mcp_server.repository.live import VOTING_QUERY
from mcp_server.services import Seams
from mcp_server.settings import GatewaySettings
from mcp_server.tools import read_service

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


class QueryCounter:
    """Counts voting aggregations that actually reach Postgres (the app's query observer seam)."""

    def __init__(self) -> None:
        self.voting_queries = 0

    def __call__(self, query_name: str) -> None:
        if query_name == VOTING_QUERY:
            self.voting_queries += 1


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
        # the load generator is one client on purpose: the per-client limit is not what is measured
        mcp_gateway_rate_limit_per_second=100_000,
        mcp_gateway_rate_limit_burst=1_000_000,
        log_level=args.log_level,
        log_format="json",
    )
    counter = QueryCounter()
    seams = Seams(
        # --no-coalescing: every call runs its own query, the honest one-query-per-call baseline
        live_cache=LiveCachePolicy(args.live_cache_seconds, share=not args.no_coalescing),
        query_observer=counter,
        json_response=args.transport == "json",
    )
    gateway = build_gateway(settings, seams)
    add_bench_tools(gateway)
    sock = socket.socket(fileno=args.fd)
    # As `abcodex-gateway` configures uvicorn (mcp_server/cli.py: serve_http).
    config = uvicorn.Config(
        with_stats_route(gateway.http_app, counter),
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
