"""Whether artists can be paid, and what about an event's payouts needs a finance person.

Payout readiness reads each artist's Stripe account (the one `payouts.ACCOUNT_PREFERENCE` picks over all their
profiles) and the onboarding invitations sent to them. Payment health reads one event: paid works with no
payout row while their artist is still owed, payouts stuck in `processing` or `failed`, owed artists whose
account cannot receive payouts, and manual payment requests naming the event.
"""

from __future__ import annotations

from mcp_server.repository.finance import CHOSEN_ACCOUNT, MEMBERS_OF
from mcp_server.repository.payouts import OWED_LINES_CTE
from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows_people_finance import PaymentHealthRow, PayoutReadinessRow

MAX_INVITATIONS = 3

_INVITATIONS = f"""
    'invitation_count', (SELECT count(*) FROM payment_setup_invitations i
                         WHERE i.artist_profile_id IN {MEMBERS_OF.format("c.id")}),
    'invitations', (SELECT coalesce(jsonb_agg(to_jsonb(recent) ORDER BY recent.sent_at DESC NULLS LAST), '[]'::jsonb)
                    FROM (SELECT i.sent_at, i.status, i.invitation_method AS method, i.invitation_type AS kind,
                                 i.recipient_email, i.recipient_phone, i.sent_by
                          FROM payment_setup_invitations i WHERE i.artist_profile_id IN {MEMBERS_OF.format("c.id")}
                          ORDER BY i.sent_at DESC NULLS LAST LIMIT {MAX_INVITATIONS}) recent)"""

# $1 eid or NULL, $2 canonical profile id or NULL. An event's roster: whoever has an artwork in it or is
# confirmed for it; artists are folded into their canonical profile.
_READINESS = Query(
    "finance.payout_readiness",
    f"""
WITH ev AS (SELECT id, eid FROM events WHERE eid = $1::text),
roster AS (
    SELECT DISTINCT coalesce(ap.superseded_by, ap.id) AS id
    FROM (SELECT a.artist_id AS id FROM art a JOIN ev ON ev.id = a.event_id
          UNION SELECT c.artist_profile_id FROM artist_confirmations c JOIN ev ON ev.eid = c.event_eid
                WHERE c.confirmation_status = 'confirmed'
          UNION SELECT $2::uuid WHERE $2::uuid IS NOT NULL) named
    JOIN artist_profiles ap ON ap.id = named.id
)
SELECT jsonb_build_object('now', now(), 'event_known', $1::text IS NULL OR EXISTS (SELECT 1 FROM ev),
    'event_name', (SELECT name FROM events WHERE eid = $1::text),
    'artists', coalesce((SELECT jsonb_agg(jsonb_build_object(
    'artist_profile_id', c.id, 'name', c.name, 'entry_id', c.entry_id,
    'account', {CHOSEN_ACCOUNT.format("c.id")},
    'account_count', (SELECT count(*) FROM artist_stripe_accounts sa
                      WHERE sa.artist_profile_id IN {MEMBERS_OF.format("c.id")}),
    {_INVITATIONS}) ORDER BY c.name, c.entry_id NULLS LAST, c.id)
    FROM roster r JOIN artist_profiles c ON c.id = r.id), '[]'::jsonb))
""",
)

# $1 eid, $2 NULL (the owed lines' artist filter).
_HEALTH = Query(
    "finance.payment_health",
    f"""
WITH {OWED_LINES_CTE},
of_event AS (
    SELECT p.*, a.art_code FROM artist_payments p JOIN art a ON a.id = p.art_id JOIN ev ON ev.id = a.event_id
    UNION ALL
    SELECT p.*, NULL FROM artist_payments p JOIN ev ON p.art_id IS NULL AND p.metadata->>'event_id' = ev.id::text
),
unpaid AS (
    SELECT a.art_code, c.name AS artist_name, coalesce(a.final_price, a.current_bid, 0) AS value,
           coalesce(a.final_price, a.current_bid, 0) * ev.portion AS artist_share
    FROM art a JOIN ev ON ev.id = a.event_id
    JOIN artist_profiles ap ON ap.id = a.artist_id
    JOIN artist_profiles c ON c.id = coalesce(ap.superseded_by, ap.id)
    JOIN lines l ON l.artist_profile_id = c.id AND l.owed > 0
    WHERE a.status = 'paid'
      AND NOT EXISTS (SELECT 1 FROM artist_payments p WHERE p.art_id = a.id AND p.status <> 'cancelled')
),
stuck AS (
    SELECT c.name AS artist_name, o.art_code, o.status, o.gross_amount AS gross, o.currency, o.created_at,
           o.error_message
    FROM of_event o
    JOIN artist_profiles pp ON pp.id = o.artist_profile_id
    JOIN artist_profiles c ON c.id = coalesce(pp.superseded_by, pp.id)
    WHERE o.status IN ('processing', 'failed')
),
unpayable AS (
    SELECT l.artist_name, l.owed, l.stripe_account_id,
           (SELECT count(*) FROM payment_setup_invitations i
            WHERE i.artist_profile_id IN {MEMBERS_OF.format("l.artist_profile_id")}) AS invitation_count,
           (SELECT max(i.sent_at) FROM payment_setup_invitations i
            WHERE i.artist_profile_id IN {MEMBERS_OF.format("l.artist_profile_id")}) AS last_invited_at
    FROM lines l WHERE l.owed > 0 AND NOT l.payouts_enabled
),
requests AS (
    SELECT c.name AS artist_name, r.requested_amount, r.preferred_currency AS currency, r.status,
           r.payment_method, r.admin_notes AS notes, r.created_at, coalesce(r.events_referenced, '{{}}') AS events
    FROM artist_manual_payment_requests r
    JOIN artist_profiles rp ON rp.id = r.artist_profile_id
    JOIN artist_profiles c ON c.id = coalesce(rp.superseded_by, rp.id)
    WHERE r.events_referenced @> ARRAY[$1::text]
)
SELECT jsonb_build_object(
    'eid', ev.eid, 'name', ev.name, 'currency', ev.currency, 'timezone', e.timezone_icann, 'now', now(),
    'unpaid_artworks', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.art_code), '[]'::jsonb) FROM unpaid u),
    'stuck_payouts', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.created_at, s.artist_name), '[]'::jsonb)
                      FROM stuck s),
    'owed_unpayable', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.owed DESC, u.artist_name), '[]'::jsonb)
                       FROM unpayable u),
    'manual_requests', (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.created_at DESC), '[]'::jsonb)
                        FROM requests r))
FROM ev JOIN events e ON e.id = ev.id
""",
)


async def payout_readiness(db: Database, eid: str | None, canonical_id: str | None) -> PayoutReadinessRow:
    return PayoutReadinessRow.model_validate(await db.document(_READINESS, eid, canonical_id))


async def payment_health(db: Database, eid: str) -> PaymentHealthRow | None:
    """None when there is no event `eid`."""
    document = await db.document(_HEALTH, eid, None)
    return None if document is None else PaymentHealthRow.model_validate(document)
