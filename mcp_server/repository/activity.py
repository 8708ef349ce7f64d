"""The gateway's own use, read back from its audit table `abcodex_tool_calls` (one document per question).

Every count is an aggregate over all audit rows in the window; only the per-tool and per-user lists are
limited (the most-called first), and the number of groups is returned beside them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows import Row

# $1 hours back from now(), $2 one tool's name or NULL, $3 how many tools and users to list.
_ACTIVITY = Query(
    "activity.summary",
    """
WITH calls AS (
    SELECT tool, client_name, acting_user, acting_role, outcome, detail, duration_ms
    FROM abcodex_tool_calls
    WHERE called_at >= now() - make_interval(hours => $1) AND ($2::text IS NULL OR tool = $2)
),
by_tool AS (
    SELECT tool, count(*) AS calls,
           count(*) FILTER (WHERE outcome = 'ok') AS ok,
           count(*) FILTER (WHERE outcome = 'tool_error') AS tool_errors,
           count(*) FILTER (WHERE outcome = 'refused') AS refused,
           count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
    FROM calls GROUP BY tool
),
by_user AS (
    SELECT client_name AS client, acting_user, acting_role, count(*) AS calls,
           count(*) FILTER (WHERE outcome = 'ok') AS ok,
           count(*) FILTER (WHERE outcome = 'tool_error') AS tool_errors,
           count(*) FILTER (WHERE outcome = 'refused') AS refused,
           count(*) FILTER (WHERE outcome = 'rejected') AS rejected
    FROM calls GROUP BY client_name, acting_user, acting_role
)
SELECT jsonb_build_object(
    'now', now(),
    'since', now() - make_interval(hours => $1),
    'totals', (SELECT jsonb_build_object(
                   'calls', count(*),
                   'ok', count(*) FILTER (WHERE outcome = 'ok'),
                   'tool_errors', count(*) FILTER (WHERE outcome = 'tool_error'),
                   'refused', count(*) FILTER (WHERE outcome = 'refused'),
                   'rejected', count(*) FILTER (WHERE outcome = 'rejected'))
               FROM calls),
    'tool_count', (SELECT count(*) FROM by_tool),
    'tools', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.calls DESC, t.tool), '[]'::jsonb)
              FROM (SELECT * FROM by_tool ORDER BY calls DESC, tool LIMIT $3) t),
    'user_count', (SELECT count(*) FROM by_user),
    'users', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.calls DESC, u.client, u.acting_user), '[]'::jsonb)
              FROM (SELECT * FROM by_user ORDER BY calls DESC, client, acting_user LIMIT $3) u),
    -- A payout's answer status is what the audit keeps as detail of an ok call; otherwise its outcome says it.
    'payouts', (SELECT coalesce(jsonb_agg(jsonb_build_object('status', status, 'count', n) ORDER BY status),
                                '[]'::jsonb)
                FROM (SELECT CASE WHEN outcome = 'ok' THEN coalesce(detail, 'ok') ELSE outcome END AS status,
                             count(*) AS n
                      FROM calls WHERE tool = 'process_artist_payment' GROUP BY 1) p))
""",
)


class OutcomeCountsRow(Row):
    calls: int
    ok: int
    tool_errors: int
    refused: int
    rejected: int


class ToolActivityRow(OutcomeCountsRow):
    tool: str
    p50_ms: Decimal | None
    p95_ms: Decimal | None


class UserActivityRow(OutcomeCountsRow):
    client: str
    acting_user: str | None
    acting_role: str | None


class PayoutStatusRow(Row):
    status: str
    count: int


class ActivityRow(Row):
    """The window's totals over every call; `tools` and `users` hold at most the limit of their groups."""

    now: datetime
    since: datetime
    totals: OutcomeCountsRow
    tool_count: int
    tools: list[ToolActivityRow]
    user_count: int
    users: list[UserActivityRow]
    payouts: list[PayoutStatusRow]


async def activity(db: Database, hours: int, tool: str | None, limit: int) -> ActivityRow:
    return ActivityRow.model_validate(await db.document(_ACTIVITY, hours, tool, limit))
