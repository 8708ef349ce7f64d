"""Fixtures and fakes for the Slack assistant's tests (use with `pytest_plugins = ["tests.slack_fixtures"]`).

- Fakes that implement the bot's own ports (no patching): `FakeGateway` (`ToolGateway`) and
  `ScriptedLLM` (`LLMProvider`), for fast unit tests of the agent and the Slack use case.
- The wire doubles as fixtures: `slack` (Web API + Socket Mode), `claude` (Anthropic), `gpt` (OpenAI).
- `run_bot(...)`: the real `BotApp` served by uvicorn on a loopback port, wired to those doubles and to a
  gateway URL; waits until the socket is connected and the gateway's tools are loaded.
- `fake_mcp_gateway(...)`: a small real MCP server (official SDK, streamable HTTP) for what the demo
  gateway can't show on demand (restarts on the same port, a payment tool with the preview contract,
  tool calls turned away busy with `Retry-After` through `fake.busy.answer_busy(...)`).

Test modules both import helpers from here and register it as a plugin, so pytest must not try to
rewrite it after the import: PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mcp_server.app import build_gateway
from mcp_server.repository.demo_data import demo_id
from mcp_server.settings import GatewaySettings
from slack_client.app import BotApp
from slack_client.models import Actor, LLMRequest, LLMTurn, ToolCall, ToolOutcome, ToolSpec, Usage
from slack_client.policy import Policy, load_policy
from slack_client.settings import BotSettings
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.busy_front import BusyFront
from tests.doubles.openai_api import OpenAIDouble
from tests.doubles.slack_api import SlackDouble
from tests.support.serving import LoopbackServer

MANIFEST = Path(__file__).resolve().parent.parent / "manifests" / "allowed-tools.yaml"
SIGNING_SECRET = "test-signing-secret-8f742231b10e"
SOFIA = str(demo_id("artist", "A3"))  # owed 400.00 CAD at AB4002 in the demo data
PAY_SOFIA = {"eid": "AB4002", "artist_profile_id": SOFIA, "amount": "400.00", "currency": "CAD"}
FINANCE_USER = "U0FINANCE1"
STAFF_USER = "U0STAFF001"
OTHER_FINANCE_USER = "U0FINANCE2"


def shipped_policy() -> Policy:
    return load_policy(MANIFEST)


# -- fakes of the bot's ports ----------------------------------------------------------------------


def tool(name: str, *, read_only: bool = True, properties: Mapping[str, Any] | None = None, **extra: Any) -> ToolSpec:
    """A `ToolSpec` as the gateway would list it (an `eid` argument unless told otherwise)."""
    props = dict(properties) if properties is not None else {"eid": {"type": "string"}}
    schema = {"type": "object", "properties": props, "required": [k for k in props if k != "confirmation_token"]}
    return ToolSpec(name, f"{name} tool", schema, read_only=read_only, destructive=not read_only, **extra)


ToolHandler = Callable[[Mapping[str, Any], Actor], ToolOutcome | Awaitable[ToolOutcome]]


@dataclass
class FakeGateway:
    """A `ToolGateway` whose tools answer from handlers; records every call."""

    specs: list[ToolSpec]
    handlers: dict[str, ToolHandler] = field(default_factory=dict)
    ready: bool = True
    calls: list[tuple[str, dict[str, Any], Actor]] = field(default_factory=list)

    def tools(self) -> tuple[ToolSpec, ...]:
        return tuple(self.specs)

    async def wait_ready(self, within: float) -> bool:
        return self.ready

    async def call_tool(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        self.calls.append((name, dict(arguments), actor))
        handler = self.handlers.get(name)
        if handler is None:
            return ToolOutcome(False, json.dumps({"tool": name, **arguments}), {"tool": name, **arguments})
        outcome = handler(arguments, actor)
        return await outcome if isinstance(outcome, Awaitable) else outcome


Scripted = LLMTurn | Callable[[LLMRequest], LLMTurn]


class ScriptedLLM:
    """An `LLMProvider` that plays scripted turns and records each request."""

    def __init__(self, *turns: Scripted) -> None:
        self._turns = list(turns)
        self.requests: list[LLMRequest] = []

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def model(self) -> str:
        return "scripted-1"

    async def complete(self, request: LLMRequest, on_text: Callable[[str], Awaitable[None]] | None = None) -> LLMTurn:
        self.requests.append(request)
        item = self._turns.pop(0) if self._turns else LLMTurn("(script exhausted)")
        turn = item(request) if callable(item) else item
        if on_text is not None and turn.text:
            await on_text(turn.text)
        return turn

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def calls(*specs: tuple[str, dict[str, Any]], text: str = "") -> LLMTurn:
    """A turn that calls tools: `calls(("get_event_details", {"eid": "AB4001"}))`."""
    tool_calls = tuple(ToolCall(f"call_{i}", name, args) for i, (name, args) in enumerate(specs))
    return LLMTurn(text, tool_calls, Usage(100, 20), "tool_use")


def answer(text: str) -> LLMTurn:
    return LLMTurn(text, (), Usage(150, 40), "end_turn")


# -- the wire doubles ------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        yield double


@pytest.fixture
def claude() -> Iterator[AnthropicDouble]:
    with AnthropicDouble() as double:
        yield double


@pytest.fixture
def gpt() -> Iterator[OpenAIDouble]:
    with OpenAIDouble() as double:
        yield double


# -- the real bot ----------------------------------------------------------------------------------


@dataclass
class RunningBot:
    app: BotApp
    base_url: str
    settings: BotSettings


def bot_settings(
    slack: SlackDouble,
    llm: AnthropicDouble | OpenAIDouble,
    gateway_url: str,
    gateway_token: str,
    *,
    socket_mode: bool = True,
    rbac: Mapping[str, str] | None = None,
    **overrides: Any,
) -> BotSettings:
    """Settings pointing every dependency at a local double."""
    provider = "openai" if isinstance(llm, OpenAIDouble) else "anthropic"
    return BotSettings(
        mcp_gateway_url=gateway_url,
        mcp_gateway_auth_token=gateway_token,
        llm_provider=provider,
        anthropic_api_key=llm.api_key if provider == "anthropic" else None,
        anthropic_base_url=llm.base_url if provider == "anthropic" else None,
        openai_api_key=llm.api_key if provider == "openai" else None,
        openai_base_url=llm.base_url if provider == "openai" else None,
        slack_bot_token=slack.bot_token,
        slack_app_token=slack.app_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_use_socket_mode=socket_mode,
        slack_api_url=slack.api_url,
        allowed_tools_file=MANIFEST,
        rbac_user_map_json=json.dumps(dict(rbac or {})),
        port=0,
        bot_drain_seconds=5.0,
        **overrides,
    )


@contextlib.asynccontextmanager
async def run_bot(settings: BotSettings, slack: SlackDouble, policy: Policy | None = None) -> AsyncIterator[RunningBot]:
    """Serve the real app on loopback; ready when connected to Slack (socket mode) and tools are loaded."""
    app = BotApp(settings, policy or shipped_policy())
    server = LoopbackServer()
    await server.start(app.asgi())
    try:
        async with asyncio.timeout(10):
            await app.started.wait()
            if settings.slack_use_socket_mode:
                await slack.socket_mode.wait_for_connection_async()
            assert app.gateway is not None
            await app.gateway.wait_ready(5)
        yield RunningBot(app, server.base_url, settings)
    finally:
        await server.stop()


# -- a small real MCP gateway for what the demo gateway can't show on demand -----------------------


@dataclass
class FakeMcpGateway:
    """A real MCP server over streamable HTTP on a fixed loopback port; stop() and start() keep the URL."""

    build: Callable[[], Any]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    server: LoopbackServer = field(default_factory=LoopbackServer)
    busy: BusyFront = field(default_factory=BusyFront)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/mcp"

    async def start(self) -> None:
        app = self.build().streamable_http_app(stateless_http=True, json_response=True)
        await self.server.start(_require_bearer(self.busy.wrap(app), self))

    async def stop(self) -> None:
        await self.server.stop()


def _require_bearer(app: Any, gateway: FakeMcpGateway) -> Any:
    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            gateway.seen_headers.append(headers)
            if headers.get("authorization") != f"Bearer {gateway.token}":
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return guarded


@contextlib.asynccontextmanager
async def fake_mcp_gateway(build: Callable[[], Any]) -> AsyncIterator[FakeMcpGateway]:
    gateway = FakeMcpGateway(build)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


def tool_names(specs: Sequence[ToolSpec]) -> list[str]:
    return [s.name for s in specs]


@dataclass
class RestartableGateway:
    """The real gateway (`mcp_server`) on a fixed loopback port, so it can be stopped and started again."""

    database_url: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    server: LoopbackServer = field(default_factory=LoopbackServer)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/mcp"

    async def start(self) -> None:
        settings = GatewaySettings(
            database_url=self.database_url, mcp_gateway_auth_token=self.token, mcp_gateway_port=0, log_format="json"
        )
        await self.server.start(build_gateway(settings).http_app)

    async def stop(self) -> None:
        await self.server.stop()
