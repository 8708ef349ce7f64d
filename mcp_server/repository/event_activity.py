"""What happened at an event: its summary (works, sales, bids, votes, door check-ins), the vote breakdown and
the bid history. One round trip each; every count is computed over all rows, separately from any row limit.

A sale's value is `coalesce(final_price, current_bid)` (final_price is NULL on many paid works) and whether a
work sold is decided by its status, in the domain; its currency is that of its highest bid, else the event's.
People appear as first name and last initial only; a merged duplicate artist profile counts as its current one.
"""

from __future__ import annotations

from mcp_server.repository.event_ops import ARTIST_NAME, EVENT_HEAD, canonical
from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows_event_ops import BidHistoryRow, SummaryRow, VoteBreakdownRow


def short_name(alias: str) -> str:
    """A person as "Maya O." (concat_ws: a NULL first or last name must not blank the other); NULL if neither."""
    return (
        f"nullif(concat_ws(' ', nullif(btrim({alias}.first_name), ''), "
        f"left(nullif(btrim({alias}.last_name), ''), 1) || '.'), '')"
    )


_WORKS = f"""
works AS (
    SELECT w.*, {ARTIST_NAME} AS artist_name
    FROM (SELECT a.id, a.art_code, a.round, a.easel, {canonical("a.artist_id")} AS artist_id, a.status,
                 a.current_bid, a.final_price, a.closing_time, a.winner_id
          FROM art a JOIN ev ON a.event_id = ev.id) w
    LEFT JOIN artist_profiles ap ON ap.id = w.artist_id LEFT JOIN people p ON p.id = ap.person_id
)"""

_SET_KIND = """CASE WHEN GROUPING({round}) = 0 THEN 'round' WHEN GROUPING({artist}) = 0 THEN 'artist'
                    ELSE 'total' END"""

_SUMMARY = Query(
    "event_activity.summary",
    f"""
WITH ev AS (SELECT * FROM events WHERE eid = $1),
{_WORKS},
bid_sets AS (
    SELECT {_SET_KIND.format(round="w.round", artist="w.artist_id")} AS kind, w.round,
           w.artist_id AS artist_profile_id, count(b.id) AS count, 0 AS weighted,
           count(DISTINCT b.person_id) AS people
    FROM bids b JOIN works w ON w.id = b.art_id
    GROUP BY GROUPING SETS ((), (w.round), (w.artist_id))
),
vote_sets AS (
    -- votes meet their work by round and easel, as the live tally counts them
    SELECT {_SET_KIND.format(round="v.round", artist="w.artist_id")} AS kind, v.round,
           w.artist_id AS artist_profile_id, count(*) AS count,
           coalesce(sum(coalesce(v.vote_factor, 1)), 0) AS weighted, count(DISTINCT v.person_id) AS people
    FROM votes v LEFT JOIN works w ON w.round = v.round AND w.easel = v.easel
    WHERE v.event_id = (SELECT id FROM ev)
    GROUP BY GROUPING SETS ((), (v.round), (w.artist_id))
)
SELECT jsonb_build_object({EVENT_HEAD},
    'portion', coalesce(ev.artist_auction_portion, 0.5),
    'works', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                  'art_code', w.art_code, 'round', w.round, 'artist_profile_id', w.artist_id,
                  'artist_name', w.artist_name, 'status', w.status,
                  'value', coalesce(w.final_price, w.current_bid, 0),
                  'currency', coalesce((SELECT b.currency_code FROM bids b
                                        WHERE b.art_id = w.id AND b.currency_code IS NOT NULL
                                        ORDER BY b.amount DESC, b.created_at DESC LIMIT 1), ev.currency))
                  ORDER BY w.round, w.easel, w.art_code), '[]'::jsonb)
              FROM works w),
    'bids', (SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) FROM bid_sets s),
    'votes', (SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) FROM vote_sets s),
    'check_ins', (SELECT jsonb_build_object('scans', count(*), 'people', count(DISTINCT q.person_id),
                                            'first_at', min(q.scan_timestamp), 'last_at', max(q.scan_timestamp))
                  FROM people_qr_scans q WHERE q.event_id = ev.id))
FROM ev
""",
)

# $2 a round or NULL, $3 how many 5-minute windows from the first vote's: totals count every vote regardless.
# One pass over the votes: the totals, each vote_factor, each round and each window are grouping sets.
_VOTES = Query(
    "event_activity.votes",
    f"""
WITH ev AS (SELECT * FROM events WHERE eid = $1),
sets AS (
    SELECT GROUPING(v.factor) = 0 AS by_factor, GROUPING(v.round) = 0 AS by_round,
           GROUPING(v.starts_at) = 0 AS by_window, v.factor, v.round, v.starts_at,
           count(*) AS votes, coalesce(sum(v.factor), 0) AS weighted, count(DISTINCT v.person_id) AS voters,
           min(v.created_at) AS first_at, max(v.created_at) AS last_at
    FROM (SELECT person_id, round, coalesce(vote_factor, 1) AS factor, created_at,
                 to_timestamp(floor(extract(epoch FROM created_at) / 300) * 300) AS starts_at
          FROM votes WHERE event_id = (SELECT id FROM ev) AND ($2::int IS NULL OR round = $2)) v
    GROUP BY GROUPING SETS ((), (v.factor), (v.round), (v.starts_at))
),
total AS (SELECT * FROM sets WHERE NOT (by_factor OR by_round OR by_window)),
windows AS (SELECT * FROM sets WHERE by_window AND starts_at IS NOT NULL)
SELECT jsonb_build_object({EVENT_HEAD},
    'rounds', (SELECT coalesce(jsonb_agg(n ORDER BY n), '[]'::jsonb)
               FROM (SELECT r.round_number AS n FROM rounds r WHERE r.event_id = ev.id
                     UNION SELECT a.round FROM art a WHERE a.event_id = ev.id AND a.round IS NOT NULL) known),
    'votes', coalesce((SELECT votes FROM total), 0),
    'weighted', coalesce((SELECT weighted FROM total), 0),
    'voters', coalesce((SELECT voters FROM total), 0),
    'first_vote_at', (SELECT first_at FROM total),
    'last_vote_at', (SELECT last_at FROM total),
    'by_factor', (SELECT coalesce(jsonb_agg(jsonb_build_object('factor', s.factor, 'votes', s.votes,
                                                               'voters', s.voters) ORDER BY s.factor), '[]'::jsonb)
                  FROM sets s WHERE s.by_factor),
    'by_round', (SELECT coalesce(jsonb_agg(jsonb_build_object('round', s.round, 'votes', s.votes,
                                                              'weighted', s.weighted, 'voters', s.voters)
                                           ORDER BY s.round), '[]'::jsonb)
                 FROM sets s WHERE s.by_round),
    'windows', (SELECT coalesce(jsonb_agg(jsonb_build_object('starts_at', w.starts_at, 'votes', w.votes,
                                                             'weighted', w.weighted) ORDER BY w.starts_at), '[]'::jsonb)
                FROM windows w
                WHERE w.starts_at < (SELECT min(starts_at) FROM windows) + $3 * interval '5 minutes'))
FROM ev
""",
)

# $2 an art code (upper case) or NULL, $3 how many of each work's latest bids to list.
_BIDS = Query(
    "event_activity.bids",
    f"""
WITH ev AS (SELECT * FROM events WHERE eid = $1),
{_WORKS},
picked AS (SELECT * FROM works w WHERE $2::text IS NULL OR upper(w.art_code) = $2),
event_bids AS (
    SELECT b.id, b.art_id, b.person_id, b.amount, coalesce(b.currency_code, ev.currency) AS currency,
           b.created_at, {short_name("p")} AS bidder
    FROM bids b JOIN picked w ON w.id = b.art_id CROSS JOIN ev LEFT JOIN people p ON p.id = b.person_id
)
SELECT jsonb_build_object({EVENT_HEAD},
    'total_bids', (SELECT count(*) FROM event_bids),
    'unique_bidders', (SELECT count(DISTINCT person_id) FROM event_bids),
    'art_codes', CASE WHEN $2::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM picked)
                      THEN (SELECT coalesce(jsonb_agg(c.art_code ORDER BY c.round, c.easel), '[]'::jsonb)
                            FROM (SELECT * FROM works WHERE art_code IS NOT NULL ORDER BY round, easel LIMIT 60) c)
                 END,
    'artworks', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'art_code', w.art_code, 'round', w.round, 'easel', w.easel, 'artist_name', w.artist_name,
                     'status', w.status, 'current_bid', w.current_bid, 'final_price', w.final_price,
                     'closing_time', w.closing_time,
                     'winner', (SELECT {short_name("wp")} FROM people wp WHERE wp.id = w.winner_id),
                     'top_bidder', (SELECT eb.bidder FROM event_bids eb WHERE eb.art_id = w.id
                                    ORDER BY eb.amount DESC, eb.created_at LIMIT 1),
                     'bid_count', (SELECT count(*) FROM event_bids eb WHERE eb.art_id = w.id),
                     'bidders', (SELECT count(DISTINCT eb.person_id) FROM event_bids eb WHERE eb.art_id = w.id),
                     'bids', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'amount', x.amount, 'currency', x.currency, 'bidder', x.bidder, 'at', x.created_at)
                                  ORDER BY x.created_at, x.amount), '[]'::jsonb)
                              FROM (SELECT * FROM event_bids eb WHERE eb.art_id = w.id
                                    ORDER BY eb.created_at DESC, eb.amount DESC LIMIT $3) x))
                     ORDER BY w.round, w.easel, w.art_code), '[]'::jsonb)
                 FROM picked w))
FROM ev
""",
)


async def event_summary(db: Database, eid: str) -> SummaryRow | None:
    document = await db.document(_SUMMARY, eid)
    return None if document is None else SummaryRow.model_validate(document)


async def vote_breakdown(db: Database, eid: str, round_number: int | None, windows: int) -> VoteBreakdownRow | None:
    document = await db.document(_VOTES, eid, round_number, windows)
    return None if document is None else VoteBreakdownRow.model_validate(document)


async def bid_history(db: Database, eid: str, art_code: str | None, bids_per_work: int) -> BidHistoryRow | None:
    document = await db.document(_BIDS, eid, art_code, bids_per_work)
    return None if document is None else BidHistoryRow.model_validate(document)
