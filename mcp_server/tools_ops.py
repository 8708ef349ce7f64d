"""MCP tools: the ops tool (ops): the gateway's own activity from its audit."""

from __future__ import annotations

from mcp_server.registry import ToolSpec

OPS_TOOLS: tuple[ToolSpec, ...] = ()
