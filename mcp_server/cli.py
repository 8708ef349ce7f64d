"""`abcodex-gateway`: serve over HTTP (default) or stdio, apply migrations, reconcile payouts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import anyio
import structlog
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp

from abcodex_common.serving import DrainingServer  # also imported from here by the bench
from mcp_server.app import Gateway, build_gateway, readiness_checks
from mcp_server.errors import ConfigurationError, GatewayError
from mcp_server.logs import configure_logging
from mcp_server.probes import LoopProbes, ProbedLifespan, ProbeListener
from mcp_server.settings import GatewaySettings, load_settings

_log = structlog.get_logger("abcodex.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="abcodex-gateway", description="Art Battle data as MCP tools.")
    parser.add_argument("--stdio", action="store_true", help="serve MCP over stdin/stdout (desktop hosts)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve MCP over streamable HTTP (the default)")
    migrate = commands.add_parser("migrate", help="apply the gateway's migrations to DATABASE_URL")
    migrate.add_argument(
        "--recommended-indexes",
        action="store_true",
        help="also build the indexes the tools' queries use (CONCURRENTLY) on production tables",
    )
    commands.add_parser("reconcile", help="resolve payouts left 'processing' (after a crash) against Stripe")
    demo = commands.add_parser(
        "demo-data", help="add production-like load-test data (AB5001, a season) to the embedded demo database"
    )
    demo.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 live votes and 300 past events")
    tools = commands.add_parser("tools", help="list the tools the gateway registers, with their scopes")
    tools.add_argument("--markdown", action="store_true", help="the full reference, as in docs/tools.md")
    return parser


def print_tools(markdown: bool) -> None:
    """The registered tools (no settings, database or network needed), as a list or as docs/tools.md."""
    from mcp_server import tool_docs  # noqa: PLC0415 - keeps serving start-up lean

    reference = asyncio.run(tool_docs.gateway_reference())
    sys.stdout.write(tool_docs.markdown(reference) if markdown else tool_docs.tool_list(reference))


def embedded_token(settings: GatewaySettings) -> str:
    """The embedded default's token: kept in the data directory so it survives restarts."""
    path = settings.abcodex_data_dir / "gateway-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token + "\n", encoding="utf-8")
    return token


def _with_embedded_payment_secret(settings: GatewaySettings) -> GatewaySettings:
    """The embedded default may try payments (against a Stripe test key) without inventing a secret by hand."""
    if (
        not settings.enable_mutating_tools
        or settings.payment_confirmation_secret
        or not settings.uses_embedded_database
    ):
        return settings
    path = settings.abcodex_data_dir / "payment-confirmation-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
    return settings.model_copy(update={"payment_confirmation_secret": token_secret(path.read_text().strip())})


def _with_default_token(settings: GatewaySettings) -> tuple[GatewaySettings, str | None]:
    if settings.mcp_gateway_auth == "none" or settings.mcp_gateway_auth_token or settings.mcp_gateway_tokens_file:
        return settings, None
    if not settings.uses_embedded_database:
        raise ConfigurationError(
            "MCP_GATEWAY_AUTH_TOKEN: set it (or MCP_GATEWAY_TOKENS_FILE) when serving a real DATABASE_URL"
        )
    token = embedded_token(settings)
    return settings.model_copy(update={"mcp_gateway_auth_token": token_secret(token)}), token


def token_secret(token: str) -> object:

    return SecretStr(token)


def _print_connect_info(settings: GatewaySettings, token: str | None) -> None:
    url = f"http://{settings.mcp_gateway_host}:{settings.mcp_gateway_port}/mcp"
    database = f"embedded demo ({settings.abcodex_data_dir})" if settings.uses_embedded_database else "DATABASE_URL"
    lines = [f"abcodex gateway on {url}", f"  database: {database}"]
    if token:
        inspector = f'npx @modelcontextprotocol/inspector --cli {url} --header "Authorization: Bearer {token}"'
        lines += [f"  token:    {token}", f"  try:      {inspector} --method tools/list"]
    elif settings.mcp_gateway_auth == "none":
        lines.append("  auth:     none (loopback only)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def serve_http(settings: GatewaySettings, server_options: Mapping[str, Any] | None = None) -> None:
    """Serve MCP on the main port and the probes on their own; `server_options` (the bench) adds uvicorn's."""
    settings, token = _with_default_token(_with_embedded_payment_secret(settings))
    gateway = build_gateway(settings)
    app, probe_listener = _with_probe_listener(settings, gateway)
    _print_connect_info(settings, token)
    config = uvicorn.Config(
        app,
        host=settings.mcp_gateway_host,
        port=settings.mcp_gateway_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=int(settings.mcp_gateway_drain_seconds),
        server_header=False,
        **(server_options or {}),
    )
    with probe_listener or contextlib.nullcontext():
        try:
            DrainingServer(config).run()
        except SystemExit:  # uvicorn exits with 3 when the lifespan fails; ours says why, with status 2
            if gateway.startup.error is None:
                raise
    if gateway.startup.error is not None:
        raise gateway.startup.error  # said as one sentence by main(), exit status 2
    _log.info("gateway_exited", in_flight_left=len(gateway.in_flight))


def _with_probe_listener(settings: GatewaySettings, gateway: Gateway) -> tuple[ASGIApp, ProbeListener | None]:
    """The app with the probes' loop tasks in its lifespan, and their listener (None when the port is 0)."""
    port = settings.mcp_gateway_probe_port
    if port == 0:
        return gateway.http_app, None
    if port == settings.mcp_gateway_port:
        raise ConfigurationError("MCP_GATEWAY_PROBE_PORT: must differ from MCP_GATEWAY_PORT (or be 0)")
    probes = LoopProbes(lambda: readiness_checks(gateway), settings.mcp_gateway_loop_stall_seconds)
    try:
        listener = ProbeListener(probes, settings.mcp_gateway_host, port)
    except ConfigurationError:
        if "mcp_gateway_probe_port" in settings.model_fields_set:
            raise  # chosen (the manifests set it): a port we cannot have is a start-up failure
        # The default, taken: another gateway on this machine (tests, a second `make run`) has it.
        _log.warning("probe_port_taken", port=port, served="main port only", set="MCP_GATEWAY_PROBE_PORT")
        return gateway.http_app, None
    return ProbedLifespan(gateway.http_app, probes), listener


def serve_stdio(settings: GatewaySettings) -> None:
    gateway = build_gateway(_with_embedded_payment_secret(settings))
    try:
        anyio.run(gateway.mcp.run_stdio_async)
    except BaseExceptionGroup as group:  # the SDK's task groups wrap a failing lifespan
        ours = group.subgroup(lambda exc: isinstance(exc, GatewayError))
        if ours is None:
            raise
        raise ours.exceptions[0] from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "tools":
        print_tools(args.markdown)
        return 0
    try:
        settings = load_settings()
        configure_logging(settings.log_level, "json" if args.stdio else settings.log_format)
        if args.command == "migrate":
            from mcp_server.maintenance import migrate  # noqa: PLC0415 - keeps serving start-up lean

            asyncio.run(migrate(settings, args.recommended_indexes))
        elif args.command == "demo-data":
            from mcp_server.maintenance import add_scale_data  # noqa: PLC0415

            asyncio.run(add_scale_data(settings, args.scale))
        elif args.command == "reconcile":
            from mcp_server.maintenance import reconcile  # noqa: PLC0415

            asyncio.run(reconcile(settings))
        elif args.stdio:
            serve_stdio(settings)
        else:
            serve_http(settings)
    except GatewayError as exc:
        print(f"abcodex-gateway: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
