"""The gateway's HTTP surface: auth, scopes, host checks, probes, metrics, and start-up errors."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from mcp_server.errors import ConfigurationError
from mcp_server.settings import GatewaySettings, load_settings
from tests.support.gateway import RunningGateway, mcp_client, run_gateway
from tests.support.postgres import PostgresForTests, build_template, start_test_postgres
from tests.support.waiting import eventually

READ_ONLY_TOKEN = "claude-desktop-" + "r" * 24
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
MODERN = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def post_mcp(gateway: RunningGateway, headers: dict[str, str], body: dict[str, Any] = LIST) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.post(gateway.url, json=body, headers={**MODERN, **headers})


async def test_no_token_gets_401_with_www_authenticate(demo_gateway: RunningGateway):
    response = await post_mcp(demo_gateway, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert response.json()["error"] == "invalid_token"


async def test_a_wrong_token_gets_401(demo_gateway: RunningGateway):
    response = await post_mcp(demo_gateway, {"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401


async def test_the_right_token_lists_tools(demo_gateway: RunningGateway):
    response = await post_mcp(demo_gateway, {"Authorization": f"Bearer {demo_gateway.token}"})
    assert response.status_code == 200
    assert len(response.json()["result"]["tools"]) == 20  # every tool but the payment tool (off here)


async def test_the_mcp_client_is_refused_without_a_token(demo_gateway: RunningGateway):
    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK raises its transport error
        async with mcp_client(demo_gateway.url, token=None) as client:
            await client.list_tools()


async def test_probes_and_metrics_need_no_token(demo_gateway: RunningGateway):
    async with httpx2.AsyncClient(base_url=demo_gateway.base_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "alive"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert set(ready.json()["checks"]) == {"tools", "database", "schema"}


async def test_metrics_count_calls_by_tool_and_outcome(demo_gateway: RunningGateway):
    async with demo_gateway.client() as client:
        await client.call_tool("get_event_details", {"eid": "AB4001"})
        await client.call_tool("get_event_details", {"eid": "AB9999"})
    async with httpx2.AsyncClient(base_url=demo_gateway.base_url) as http:
        text = (await http.get("/metrics")).text
    assert 'abcodex_tool_calls_total{outcome="ok",tool="get_event_details"}' in text
    assert 'abcodex_tool_calls_total{outcome="tool_error",tool="get_event_details"}' in text
    assert "abcodex_tool_call_seconds_bucket" in text and "abcodex_db_pool_max 10.0" in text


async def test_an_unknown_host_header_is_refused_but_probes_are_not(demo_gateway: RunningGateway):
    headers = {"Authorization": f"Bearer {demo_gateway.token}", "Host": "evil.example:8081"}
    assert (await post_mcp(demo_gateway, headers)).status_code == 421
    async with httpx2.AsyncClient() as http:
        probe = await http.get(f"{demo_gateway.base_url}/readyz", headers={"Host": "10.0.0.7:8081"})
    assert probe.status_code == 200


async def test_configured_service_names_are_accepted_hosts(postgres: PostgresForTests):
    database = await postgres.create_demo_database("hosts")
    async with run_gateway(database, mcp_gateway_allowed_hosts=["orchestration-supervisor:8081"]) as gateway:
        headers = {"Authorization": f"Bearer {gateway.token}", "Host": "orchestration-supervisor:8081"}
        assert (await post_mcp(gateway, headers)).status_code == 200


@pytest.fixture
async def scoped_gateway(postgres: PostgresForTests, tmp_path: Path) -> Any:
    tokens = tmp_path / "tokens.yaml"
    digest = hashlib.sha256(READ_ONLY_TOKEN.encode()).hexdigest()
    tokens.write_text(f"clients:\n  - name: claude-desktop\n    token_sha256: {digest}\n    scopes: [read]\n")
    database = await postgres.create_demo_database("scopes")
    from tests.support.payments import payment_settings, seeded_stripe  # noqa: PLC0415

    with seeded_stripe() as stripe_api:
        async with run_gateway(database, mcp_gateway_tokens_file=tokens, **payment_settings(stripe_api)) as gateway:
            yield gateway, stripe_api


async def test_a_read_only_token_neither_sees_nor_calls_the_payment_tool(scoped_gateway: Any):
    gateway, stripe_api = scoped_gateway
    async with mcp_client(gateway.url, READ_ONLY_TOKEN) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "process_artist_payment" not in names and "get_event_details" in names
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool(
                "process_artist_payment",
                {"eid": "AB4002", "artist_profile_id": "x" * 36, "amount": "1", "currency": "CAD"},
            )
    async with mcp_client(gateway.url, gateway.token) as client:
        assert "process_artist_payment" in {tool.name for tool in (await client.list_tools()).tools}
    assert stripe_api.transfers == []
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(gateway.database_url)
    try:
        refused = await connection.fetch(
            "SELECT client_name FROM abcodex_tool_calls WHERE outcome = 'refused' AND tool = 'process_artist_payment'"
        )
    finally:
        await connection.close()
    assert [row["client_name"] for row in refused] == ["claude-desktop"]


async def test_with_mutating_tools_off_the_payment_tool_does_not_exist(demo_gateway: RunningGateway):
    import asyncpg  # noqa: PLC0415

    async with demo_gateway.client(headers={"X-Acting-User": "U0OFF"}) as client:
        assert "process_artist_payment" not in {tool.name for tool in (await client.list_tools()).tools}
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("process_artist_payment", {})
    connection = await asyncpg.connect(demo_gateway.database_url)
    try:
        row = await eventually(
            lambda: connection.fetchrow("SELECT outcome, detail FROM abcodex_tool_calls WHERE acting_user = 'U0OFF'"),
            lambda found: found is not None,
        )
    finally:
        await connection.close()
    assert (row["outcome"], row["detail"]) == ("refused", "unknown tool")


async def test_payments_without_a_stripe_key_say_they_are_not_configured(postgres: PostgresForTests):
    database = await postgres.create_demo_database("nokey")
    secret = "s" * 40
    async with (
        run_gateway(database, enable_mutating_tools=True, payment_confirmation_secret=secret) as gateway,
        gateway.client() as client,
    ):
        result = await client.call_tool(
            "process_artist_payment",
            {
                "eid": "AB4002",
                "artist_profile_id": "8cc21ad3-e797-5479-8944-18497c3c87cc",
                "amount": "10",
                "currency": "CAD",
            },
        )
    assert result.is_error
    assert "not configured: set STRIPE_CANADA_SECRET_KEY" in result.content[0].text


async def test_readiness_follows_the_database_down_and_back_up():
    server = start_test_postgres()
    from datetime import UTC, datetime  # noqa: PLC0415

    await build_template(server, datetime.now(UTC))
    async with (
        run_gateway(server.dsn("demo_template"), readiness_timeout_seconds=1) as gateway,
        httpx2.AsyncClient(base_url=gateway.base_url) as http,
    ):
        await eventually(lambda: http.get("/readyz"), lambda r: r.status_code == 200)  # migrations run first
        server.stop("fast")
        down = await eventually(lambda: http.get("/readyz"), lambda r: r.status_code == 503)
        assert down.json()["checks"]["database"]["ok"] is False
        assert (await http.get("/healthz")).status_code == 200
        server.start()
        await eventually(lambda: http.get("/readyz"), lambda r: r.status_code == 200)
    server.stop("immediate")


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"MCP_GATEWAY_PORT": "eighty"}, "MCP_GATEWAY_PORT"),
        ({"MCP_GATEWAY_AUTH": "none", "MCP_GATEWAY_HOST": "0.0.0.0"}, "MCP_GATEWAY_AUTH=none"),
        ({"ENABLE_MUTATING_TOOLS": "true", "DATABASE_URL": "postgresql://x@/y"}, "PAYMENT_CONFIRMATION_SECRET"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"MCP_GATEWAY_STDIO_SCOPES": "read,fnance"}, "MCP_GATEWAY_STDIO_SCOPES.*fnance"),
        ({"PAYMENT_MAX_AMOUNT_PER_CURRENCY": "CAD=5000,AUDx=1"}, "PAYMENT_MAX_AMOUNT_PER_CURRENCY"),
        ({"PAYMENT_DAILY_CAP_PER_CURRENCY": "CAD=-5"}, "PAYMENT_DAILY_CAP_PER_CURRENCY"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
):
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()


def test_a_tokens_file_with_a_bad_scope_is_refused(tmp_path: Path):
    from mcp_server.auth import TokenRegistry  # noqa: PLC0415

    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f"clients:\n  - name: x\n    token_sha256: {'a' * 64}\n    scopes: [admin]\n")
    with pytest.raises(ConfigurationError, match="unknown scopes"):
        TokenRegistry.build(None, tokens)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_auth_none_is_accepted_on_every_loopback_address(host: str):
    settings = GatewaySettings(mcp_gateway_auth="none", mcp_gateway_host=host)
    assert settings.binds_loopback and settings.mcp_gateway_auth == "none"


async def test_header_values_are_compared_without_surrounding_whitespace(demo_gateway: RunningGateway):
    import asyncio  # noqa: PLC0415
    import json  # noqa: PLC0415

    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {
                "name": "get_event_details",
                "arguments": {"eid": "AB4001"},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        }
    ).encode()
    host, port = demo_gateway.base_url.removeprefix("http://").split(":")
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {demo_gateway.token}\r\n"
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"
        "Mcp-Name:   get_event_details  \r\n"  # clients (and proxies) may leave spaces around a value
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head + body)
    await writer.drain()
    response = (await reader.read()).decode()
    writer.close()
    await writer.wait_closed()
    assert response.startswith("HTTP/1.1 200"), response
    assert '"eid":"AB4001"' in response.replace(" ", "")
