"""MCP tools: the event tools (read): readiness, summary, roster, vote breakdown, bid history."""

from __future__ import annotations

from mcp_server.registry import ToolSpec

EVENT_TOOLS: tuple[ToolSpec, ...] = ()
