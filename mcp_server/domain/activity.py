"""The gateway's own activity, shaped for a model: counts by outcome, by tool, by Slack user, and payouts.

Names a caller chose (an unknown tool's name, the acting user a trusted client sent) are masked like any
other text the gateway returns.
"""

from __future__ import annotations

from decimal import Decimal

from mcp_server.domain import models_ops as m
from mcp_server.domain.masking import mask_text
from mcp_server.domain.timefmt import utc_iso
from mcp_server.repository import activity
from mcp_server.repository.pool import Database

MAX_LISTED = 50


def _counts(row: activity.OutcomeCountsRow) -> dict[str, int]:
    return {
        "calls": row.calls,
        "ok": row.ok,
        "tool_errors": row.tool_errors,
        "refused": row.refused,
        "rejected": row.rejected,
    }


def _ms(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _tool(row: activity.ToolActivityRow) -> m.ToolActivity:
    return m.ToolActivity(tool=mask_text(row.tool), p50_ms=_ms(row.p50_ms), p95_ms=_ms(row.p95_ms), **_counts(row))


def _user(row: activity.UserActivityRow) -> m.UserActivity:
    user = mask_text(row.acting_user) if row.acting_user else None
    return m.UserActivity(client=row.client, acting_user=user, acting_role=row.acting_role, **_counts(row))


async def gateway_activity(db: Database, hours: int, tool: str | None) -> m.GatewayActivity:
    """Calls in the last `hours` (of one tool, or all): totals over every call, the busiest tools and users."""
    row = await activity.activity(db, hours, tool, MAX_LISTED)
    return m.GatewayActivity(
        as_of=utc_iso(row.now),
        since=utc_iso(row.since),
        hours=hours,
        tool=mask_text(tool) if tool else None,
        totals=m.OutcomeCounts(**_counts(row.totals)),
        tool_count=row.tool_count,
        tools_truncated=row.tool_count > len(row.tools),
        tools=[_tool(t) for t in row.tools],
        user_count=row.user_count,
        users_truncated=row.user_count > len(row.users),
        users=[_user(u) for u in row.users],
        payouts=[m.PayoutOutcome(status=p.status, count=p.count) for p in row.payouts],
    )
