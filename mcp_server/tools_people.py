"""MCP tools: the people tools (people): artist and person lookups with masked contacts."""

from __future__ import annotations

from mcp_server.registry import ToolSpec

PEOPLE_TOOLS: tuple[ToolSpec, ...] = ()
