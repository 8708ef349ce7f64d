"""What artists earned, were paid and are still owed, by the production formula (DATA-MODEL.md).

owed = Σ over the artist's works in the event with art.status = 'paid' of
       coalesce(final_price, current_bid) × coalesce(events.artist_auction_portion, 0.5)
     − Σ gross_amount of the artist's artist_payments rows for that event whose status is not 'cancelled'.
A payment row belongs to an event through its artwork, or (for payouts not tied to one work, such as the
gateway's own) through metadata->>'event_id'. The legacy status 'completed' means paid. An artist is their
canonical profile with every profile merged into it (`superseded_by` points at the canonical one), so works
and payouts of a merged duplicate count for the canonical artist; asking for a duplicate answers for them too.
Of an artist's Stripe accounts (over all their profiles) the one that counts is `ACCOUNT_PREFERENCE`'s first.
"""

from __future__ import annotations

import asyncpg

from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows import OwedLineRow, OwedLinesRow, PaymentSummaryRow

ACCOUNT_PREFERENCE = "sa.payouts_enabled DESC NULLS LAST, sa.created_at DESC NULLS LAST, sa.id"
"""Which of an artist's Stripe account rows counts: one that can receive payouts, then the newest."""
ACCOUNTS_OF = """(SELECT sa.* FROM artist_stripe_accounts sa WHERE sa.artist_profile_id = {0}
    UNION ALL SELECT sa.* FROM artist_profiles m JOIN artist_stripe_accounts sa ON sa.artist_profile_id = m.id
              WHERE m.superseded_by = {0})"""
"""Every Stripe account row of the artist whose canonical profile id is `{0}`, over all their profiles (two
arms, so each is an index lookup)."""
CANONICAL = "coalesce({0}.superseded_by, {0}.id)"
"""The canonical profile of profile row `{0}`: a merged duplicate points at it, a current profile is it."""

# $1 eid or NULL, $2 artist_profile_id (any profile of the artist) or NULL: one line per event and artist.
OWED_LINES_CTE = f"""
ev AS (
    SELECT id, eid, name, currency, coalesce(artist_auction_portion, 0.5) AS portion,
           stripe_account_region AS region, event_start_datetime AS starts_at
    FROM events WHERE $1::text IS NULL OR eid = $1
),
target AS (SELECT {CANONICAL.format("ap")} AS id FROM artist_profiles ap WHERE ap.id = $2::uuid),
members AS (
    SELECT id FROM target
    UNION ALL SELECT ap.id FROM artist_profiles ap JOIN target t ON ap.superseded_by = t.id
),
earned AS (
    SELECT a.event_id, {CANONICAL.format("ap")} AS artist_id,
           sum(coalesce(a.final_price, a.current_bid, 0) * ev.portion) AS earned, count(*) AS works_paid
    FROM art a JOIN ev ON ev.id = a.event_id JOIN artist_profiles ap ON ap.id = a.artist_id
    WHERE a.status = 'paid' AND ($2::uuid IS NULL OR a.artist_id IN (SELECT id FROM members))
    GROUP BY 1, 2
),
payment_rows AS (
    SELECT coalesce(a.event_id, ev_meta.id) AS event_id, {CANONICAL.format("pp")} AS artist_id, p.status,
           p.gross_amount
    FROM artist_payments p
    JOIN artist_profiles pp ON pp.id = p.artist_profile_id
    LEFT JOIN art a ON a.id = p.art_id
    LEFT JOIN ev ev_meta ON p.art_id IS NULL AND p.metadata->>'event_id' = ev_meta.id::text
    WHERE $2::uuid IS NULL OR p.artist_profile_id IN (SELECT id FROM members)
),
settled AS (
    SELECT pr.event_id, pr.artist_id,
           coalesce(sum(pr.gross_amount) FILTER (WHERE pr.status <> 'cancelled'), 0) AS settled,
           coalesce(sum(pr.gross_amount) FILTER (WHERE pr.status IN ('paid', 'completed')), 0) AS paid,
           coalesce(sum(pr.gross_amount) FILTER (WHERE pr.status IN ('pending', 'processing')), 0) AS in_progress,
           coalesce(sum(pr.gross_amount) FILTER (WHERE pr.status = 'failed'), 0) AS failed
    FROM payment_rows pr JOIN ev ON ev.id = pr.event_id
    GROUP BY pr.event_id, pr.artist_id
),
lines AS (
    SELECT ev.eid, ev.name AS event_name, ev.currency, ev.region, ev.starts_at,
           ap.id AS artist_profile_id, ap.name AS artist_name, ap.email AS artist_email,
           coalesce(e.earned, 0) AS earned, coalesce(s.paid, 0) AS paid,
           coalesce(s.in_progress, 0) AS in_progress, coalesce(s.failed, 0) AS failed,
           coalesce(e.earned, 0) - coalesce(s.settled, 0) AS owed,
           acct.stripe_account_id, coalesce(acct.payouts_enabled, false) AS payouts_enabled
    FROM earned e
    FULL JOIN settled s USING (event_id, artist_id)
    JOIN ev ON ev.id = coalesce(e.event_id, s.event_id)
    JOIN artist_profiles ap ON ap.id = coalesce(e.artist_id, s.artist_id)
    LEFT JOIN LATERAL (
        SELECT sa.stripe_account_id, sa.payouts_enabled FROM {ACCOUNTS_OF.format("ap.id")} sa
        ORDER BY {ACCOUNT_PREFERENCE} LIMIT 1
    ) acct ON true
)
"""

_PAYMENT_SUMMARY = Query(
    "payouts.summary",
    f"""
WITH {OWED_LINES_CTE}
SELECT jsonb_build_object(
    'eid', ev.eid, 'name', ev.name, 'currency', ev.currency, 'region', ev.region, 'as_of', now(),
    'by_status', (SELECT coalesce(jsonb_agg(jsonb_build_object('status', status, 'count', n, 'total', total)
                                  ORDER BY status), '[]'::jsonb)
                  FROM (SELECT CASE WHEN pr.status = 'completed' THEN 'paid' ELSE pr.status END AS status,
                               count(*) AS n, sum(pr.gross_amount) AS total
                        FROM payment_rows pr WHERE pr.event_id = ev.id GROUP BY 1) st),
    'artists', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.owed DESC, l.artist_name), '[]'::jsonb)
                FROM lines l))
FROM ev
""",
)

# $3 the row limit: the total and the per-currency sums count every owed line, not only those returned.
_OWED_ACROSS_EVENTS = Query(
    "payouts.owed",
    f"""
WITH {OWED_LINES_CTE},
owed AS (SELECT * FROM lines l WHERE l.owed <> 0)
SELECT jsonb_build_object(
    'total', (SELECT count(*) FROM owed),
    'owed_by_currency', (SELECT coalesce(jsonb_object_agg(c.currency, c.owed), '{{}}'::jsonb)
                         FROM (SELECT coalesce(currency, '?') AS currency, sum(owed) AS owed
                               FROM owed GROUP BY 1) c),
    'lines', (SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.starts_at DESC, o.owed DESC, o.artist_name),
                              '[]'::jsonb)
              FROM (SELECT * FROM owed ORDER BY starts_at DESC, owed DESC, artist_name LIMIT $3) o))
""",
)

_OWED_ONE = f"""
WITH {OWED_LINES_CTE}
SELECT to_jsonb(l) FROM lines l
"""


async def payment_summary(db: Database, eid: str) -> PaymentSummaryRow | None:
    document = await db.document(_PAYMENT_SUMMARY, eid, None)
    return None if document is None else PaymentSummaryRow.model_validate(document)


async def owed_lines(db: Database, eid: str | None, artist_profile_id: str | None, limit: int) -> OwedLinesRow:
    document = await db.document(_OWED_ACROSS_EVENTS, eid, artist_profile_id, limit)
    return OwedLinesRow.model_validate(document)


async def owed_line(connection: asyncpg.Connection, eid: str, artist_profile_id: str) -> OwedLineRow | None:
    """One artist's line for one event, read inside the caller's transaction (for payouts)."""
    document = await connection.fetchval(_OWED_ONE, eid, artist_profile_id)
    return None if document is None else OwedLineRow.model_validate(document)
