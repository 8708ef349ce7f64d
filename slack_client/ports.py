"""The ports the agent and the Slack layer depend on; adapters and test fakes implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from slack_client.models import Actor, ToolCall, ToolOutcome, ToolSpec


class ToolGateway(Protocol):
    """The MCP gateway as the agent sees it (`gateway_client.GatewayClient` is the real one)."""

    def tools(self) -> tuple[ToolSpec, ...]:
        """The tools the gateway lists now."""
        ...

    async def wait_ready(self, within: float) -> bool:
        """Wait up to `within` seconds for the gateway; True when it can take calls."""
        ...

    async def call_tool(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        """Call one tool on behalf of `actor`; raises `GatewayUnavailable`, `GatewayBusy` or `GatewayRefused`."""
        ...


class AgentObserver(Protocol):
    """Told what the agent is doing, to show progress (Slack status, terminal lines)."""

    async def tools_started(self, calls: Sequence[ToolCall]) -> None: ...
