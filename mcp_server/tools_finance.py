"""MCP tools: the finance tools (finance): artist history, ledger, payout readiness, payment health, exchange rates."""

from __future__ import annotations

from mcp_server.registry import ToolSpec

FINANCE_TOOLS: tuple[ToolSpec, ...] = ()
