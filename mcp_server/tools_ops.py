"""MCP tools: the ops tool (ops): the gateway's own activity from its audit."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_server.arguments import SearchText
from mcp_server.context import services_of
from mcp_server.domain.activity import gateway_activity
from mcp_server.domain.models_ops import GatewayActivity
from mcp_server.registry import ToolSpec

MAX_HOURS = 24 * 30


async def get_gateway_activity(
    ctx: Context,
    hours: Annotated[int, Field(ge=1, le=MAX_HOURS, description="The last this many hours (at most 30 days).")] = 24,
    tool: Annotated[str | None, SearchText(64), Field(description="Only this tool's calls; omit for all.")] = None,
) -> GatewayActivity:
    """How the gateway itself has been used, from its audit of every tool call: calls, refusals (unknown tool
    or missing scope), tool errors and payouts with their outcomes, in total, by tool (with median and p95
    durations) and by client and Slack user, over the last `hours`. Counts cover every call; only the
    per-tool and per-user lists are limited (`tools_truncated`, `users_truncated`). For art, votes, bids or
    money use the event and finance tools instead."""
    return await gateway_activity(services_of(ctx).db, hours, tool)


OPS_TOOLS: tuple[ToolSpec, ...] = (ToolSpec(get_gateway_activity, "get_gateway_activity", "ops"),)
