"""What get_gateway_activity returns: the gateway's own use, counted from its audit."""

from __future__ import annotations

from pydantic import Field

from mcp_server.domain.models import Output


class OutcomeCounts(Output):
    calls: int
    ok: int = Field(description="answered normally")
    tool_errors: int = Field(description="answered with isError: a mistake the caller could fix, or an outage")
    refused: int = Field(description="unknown tool, or a tool outside the caller's scopes")
    rejected: int = Field(description="refused by the MCP layer before the tool ran")


class ToolActivity(OutcomeCounts):
    tool: str
    p50_ms: float | None = Field(description="median duration in milliseconds")
    p95_ms: float | None


class UserActivity(OutcomeCounts):
    client: str = Field(description="the client named by its token (the Slack bot, a desktop host, ...)")
    acting_user: str | None = Field(description="the Slack user the bot acted for; null for other clients")
    acting_role: str | None = Field(description="that user's role in the bot's policy")


class PayoutOutcome(Output):
    status: str = Field(description="paid, failed, needs_confirmation (a preview), cancelled, or the call's outcome")
    count: int


class GatewayActivity(Output):
    as_of: str = Field(description="UTC time of the count")
    since: str = Field(description="UTC start of the window")
    hours: int
    tool: str | None = Field(description="the one tool counted; null for all")
    totals: OutcomeCounts = Field(description="over every call in the window")
    tool_count: int = Field(description="how many tools were called, whatever the list's limit")
    tools_truncated: bool
    tools: list[ToolActivity] = Field(description="most-called first")
    user_count: int = Field(description="how many client-and-user groups called, whatever the list's limit")
    users_truncated: bool
    users: list[UserActivity] = Field(description="most active first")
    payouts: list[PayoutOutcome] = Field(description="process_artist_payment calls by status")
