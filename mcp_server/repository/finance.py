"""An artist's history, the payout ledger and exchange rates: what artists earned, were paid and are owed.

Everything here follows `payouts`: an artist is a canonical profile with the profiles merged into it, a payout
belongs to an event through its artwork or its metadata, 'completed' (legacy) means paid, and money is summed
per currency only. Counts and totals are computed over every row, apart from the rows returned.
"""

from __future__ import annotations

from mcp_server.repository.payouts import ACCOUNT_PREFERENCE, ACCOUNTS_OF
from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows_people_finance import ArtistHistoryRow, ExchangeRatesRow, LedgerRow

PAID = "('paid', 'completed')"
IN_PROGRESS = "('pending', 'processing')"
MEMBERS_OF = "(SELECT {0} AS id UNION ALL SELECT m.id FROM artist_profiles m WHERE m.superseded_by = {0})"
"""Every profile of the artist whose canonical profile id is `{0}`: it and the profiles merged into it."""
ACCOUNT = """jsonb_build_object(
    'stripe_account_id', sa.stripe_account_id, 'onboarding_status', sa.onboarding_status,
    'charges_enabled', coalesce(sa.charges_enabled, false), 'payouts_enabled', coalesce(sa.payouts_enabled, false),
    'country', sa.country, 'currency', sa.currency, 'created_at', sa.created_at)"""
CHOSEN_ACCOUNT = f"(SELECT {ACCOUNT} FROM {ACCOUNTS_OF} sa ORDER BY {ACCOUNT_PREFERENCE} LIMIT 1)"
"""The account that counts for the artist whose canonical profile id is `{0}` (see ACCOUNT_PREFERENCE)."""

# $1 the canonical profile id, $2 the number of events to list (newest first).
_HISTORY = Query(
    "finance.artist_history",
    f"""
WITH members AS {MEMBERS_OF.format("$1::uuid")},
works AS (
    SELECT a.event_id, a.art_code, a.round, a.easel, a.status, a.final_price, a.current_bid,
           a.artist_id <> $1::uuid AS under_merged_profile, ap.entry_id
    FROM art a JOIN artist_profiles ap ON ap.id = a.artist_id
    WHERE a.artist_id IN (SELECT id FROM members)
),
pays AS (
    SELECT coalesce(a.event_id, em.id) AS event_id, p.status, p.gross_amount
    FROM artist_payments p
    LEFT JOIN art a ON a.id = p.art_id
    LEFT JOIN events em ON p.art_id IS NULL AND em.id::text = p.metadata->>'event_id'
    WHERE p.artist_profile_id IN (SELECT id FROM members)
),
lines AS (
    SELECT e.eid, e.name, e.currency, e.timezone_icann AS timezone, e.event_start_datetime AS starts_at,
           coalesce((SELECT sum(coalesce(w.final_price, w.current_bid, 0)) FROM works w
                     WHERE w.event_id = e.id AND w.status = 'paid'), 0)
               * coalesce(e.artist_auction_portion, 0.5) AS earned,
           coalesce(pe.paid, 0) AS paid, coalesce(pe.in_progress, 0) AS in_progress,
           coalesce(pe.failed, 0) AS failed, coalesce(pe.settled, 0) AS settled,
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'art_code', w.art_code, 'round', w.round, 'easel', w.easel, 'status', w.status,
                'final_price', w.final_price, 'current_bid', w.current_bid,
                'painted_as_entry_id', w.entry_id, 'under_merged_profile', w.under_merged_profile)
                ORDER BY w.round, w.easel, w.art_code), '[]'::jsonb)
            FROM works w WHERE w.event_id = e.id) AS artworks
    FROM (SELECT event_id FROM works UNION SELECT event_id FROM pays WHERE event_id IS NOT NULL) ids
    JOIN events e ON e.id = ids.event_id
    LEFT JOIN LATERAL (
        SELECT sum(gross_amount) FILTER (WHERE status IN {PAID}) AS paid,
               sum(gross_amount) FILTER (WHERE status IN {IN_PROGRESS}) AS in_progress,
               sum(gross_amount) FILTER (WHERE status = 'failed') AS failed,
               sum(gross_amount) FILTER (WHERE status <> 'cancelled') AS settled
        FROM pays WHERE pays.event_id = e.id
    ) pe ON true
),
owed AS (SELECT l.*, l.earned - l.settled AS owed FROM lines l)
SELECT jsonb_build_object(
    'now', now(),
    'total_events', (SELECT count(*) FROM owed),
    'totals', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'currency', t.currency, 'earned', t.earned, 'paid', t.paid, 'in_progress', t.in_progress,
                   'owed', t.owed) ORDER BY t.currency), '[]'::jsonb)
               FROM (SELECT coalesce(currency, '?') AS currency, sum(earned) AS earned, sum(paid) AS paid,
                            sum(in_progress) AS in_progress, sum(owed) AS owed
                     FROM owed GROUP BY 1) t),
    'events', (SELECT coalesce(jsonb_agg(to_jsonb(o) - 'settled' ORDER BY o.starts_at DESC NULLS LAST, o.eid),
                               '[]'::jsonb)
               FROM (SELECT * FROM owed ORDER BY starts_at DESC NULLS LAST, eid LIMIT $2) o),
    'account', {CHOSEN_ACCOUNT.format("$1::uuid")},
    'account_count', (SELECT count(*) FROM artist_stripe_accounts sa
                      WHERE sa.artist_profile_id IN (SELECT id FROM members)))
""",
)

# $1 eid or NULL, $2 canonical profile id or NULL (at least one is given), $3 the row limit.
_LEDGER = Query(
    "finance.ledger",
    f"""
WITH ev AS (SELECT id FROM events WHERE eid = $1::text),
members AS {MEMBERS_OF.format("$2::uuid")},
of_event AS (
    SELECT p.id FROM artist_payments p JOIN art a ON a.id = p.art_id JOIN ev ON ev.id = a.event_id
    UNION ALL
    SELECT p.id FROM artist_payments p JOIN ev ON p.art_id IS NULL AND p.metadata->>'event_id' = ev.id::text
),
picked AS (
    SELECT p.*, coalesce(a.event_id, em.id) AS event_id, a.art_code,
           CASE WHEN p.status = 'completed' THEN 'paid' ELSE p.status END AS plain_status
    FROM artist_payments p
    LEFT JOIN art a ON a.id = p.art_id
    LEFT JOIN events em ON p.art_id IS NULL AND em.id::text = p.metadata->>'event_id'
    WHERE ($1::text IS NULL OR p.id IN (SELECT id FROM of_event))
      AND ($2::uuid IS NULL OR p.artist_profile_id IN (SELECT id FROM members))
),
listed AS (SELECT * FROM picked ORDER BY created_at DESC NULLS LAST, id LIMIT $3)
SELECT jsonb_build_object(
    'now', now(),
    'event_known', $1::text IS NULL OR EXISTS (SELECT 1 FROM ev),
    'event_name', (SELECT name FROM events WHERE eid = $1::text),
    'total', (SELECT count(*) FROM picked),
    'totals', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.currency, t.status), '[]'::jsonb)
               FROM (SELECT coalesce(currency, '?') AS currency, plain_status AS status, count(*) AS count,
                            sum(gross_amount) AS gross, coalesce(sum(net_amount), 0) AS net
                     FROM picked GROUP BY 1, 2) t),
    'entries', (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'eid', e.eid, 'event_name', e.name, 'timezone', e.timezone_icann,
        'artist_profile_id', c.id, 'artist_name', c.name, 'entry_id', c.entry_id, 'art_code', l.art_code,
        'status', l.plain_status, 'recorded_status', l.status, 'gross', l.gross_amount,
        'platform_fee', l.platform_fee, 'stripe_fee', l.stripe_fee, 'net', l.net_amount, 'currency', l.currency,
        'transfer_id', l.stripe_transfer_id, 'payment_method', l.payment_method, 'created_at', l.created_at,
        'paid_at', l.paid_at, 'error_message', l.error_message)
        ORDER BY l.created_at DESC NULLS LAST, l.id), '[]'::jsonb)
        FROM listed l
        JOIN artist_profiles pp ON pp.id = l.artist_profile_id
        JOIN artist_profiles c ON c.id = coalesce(pp.superseded_by, pp.id)
        LEFT JOIN events e ON e.id = l.event_id))
""",
)

_RATES = Query(
    "finance.exchange_rates",
    """
SELECT jsonb_build_object('now', now(), 'rates', coalesce((SELECT jsonb_agg(jsonb_build_object(
    'currency_code', trim(currency_code), 'rate_to_usd', rate_to_usd, 'last_updated', last_updated)
    ORDER BY currency_code) FROM exchange_rates), '[]'::jsonb))
""",
)


async def artist_history(db: Database, canonical_id: str, limit: int) -> ArtistHistoryRow:
    return ArtistHistoryRow.model_validate(await db.document(_HISTORY, canonical_id, limit))


async def ledger(db: Database, eid: str | None, canonical_id: str | None, limit: int) -> LedgerRow:
    return LedgerRow.model_validate(await db.document(_LEDGER, eid, canonical_id, limit))


async def exchange_rates(db: Database) -> ExchangeRatesRow:
    return ExchangeRatesRow.model_validate(await db.document(_RATES))
