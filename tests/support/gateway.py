"""Run the real gateway app in the test's event loop, on a loopback port, and talk to it with the MCP SDK."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_server.app import Gateway, build_gateway
from mcp_server.settings import GatewaySettings
from tests.support.serving import LoopbackServer


@dataclass
class RunningGateway:
    gateway: Gateway
    base_url: str
    token: str
    database_url: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/mcp"

    def client(self, token: str | None = None, headers: Mapping[str, str] | None = None, mode: str = "auto") -> Client:
        return mcp_client(self.url, token if token is not None else self.token, headers, mode)


def mcp_client(url: str, token: str | None, headers: Mapping[str, str] | None = None, mode: str = "auto") -> Client:
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    http = httpx2.AsyncClient(headers=all_headers, timeout=30)
    return _ClosingClient(streamable_http_client(url, http_client=http), http, mode=mode)


class _ClosingClient(Client):
    """An MCP client that also closes the HTTP client it was given."""

    def __init__(self, transport: Any, http: httpx2.AsyncClient, mode: str) -> None:
        super().__init__(transport, mode=mode)
        self._http = http

    async def __aenter__(self) -> _ClosingClient:
        try:
            await super().__aenter__()
        except BaseException:
            await self._http.aclose()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await super().__aexit__(*exc)
        finally:
            await self._http.aclose()


@asynccontextmanager
async def run_gateway(database_url: str, **overrides: Any) -> AsyncIterator[RunningGateway]:
    token = overrides.pop("token", None) or secrets.token_urlsafe(16)
    # Tests drive one client hard on purpose; the per-client limit has its own tests.
    overrides.setdefault("mcp_gateway_rate_limit_per_second", 100_000)
    overrides.setdefault("mcp_gateway_rate_limit_burst", 1_000_000)
    settings = GatewaySettings(
        database_url=database_url,
        mcp_gateway_auth_token=token,
        mcp_gateway_port=0,
        log_format="json",
        **overrides,
    )
    gateway = build_gateway(settings)
    server = LoopbackServer()
    await server.start(gateway.http_app)
    try:
        yield RunningGateway(gateway, server.base_url, token, database_url)
    finally:
        await server.stop()
