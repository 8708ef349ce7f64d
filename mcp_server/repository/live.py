"""Live aggregates: votes per round and easel, and the auction board. Each is one round trip."""

from __future__ import annotations

from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows import AuctionBoardRow, VotingTalliesRow

VOTING_QUERY = "live.voting"

_VOTING = Query(
    VOTING_QUERY,
    """
WITH ev AS (SELECT id, eid, name, current_round FROM events WHERE eid = $1),
tallies AS (
    SELECT v.round, v.easel, count(*) AS raw_votes, sum(coalesce(v.vote_factor, 1)) AS weighted
    FROM votes v
    -- a scalar subquery, not a join: the tallies come off the (event_id, round, easel) index in order
    WHERE v.event_id = (SELECT id FROM events WHERE eid = $1) AND ($2::int IS NULL OR v.round = $2)
    GROUP BY v.round, v.easel
),
works AS (
    SELECT a.round, a.easel, a.art_code, ap.name AS artist_name, ap.id AS artist_profile_id
    FROM art a JOIN ev ON a.event_id = ev.id LEFT JOIN artist_profiles ap ON ap.id = a.artist_id
    WHERE $2::int IS NULL OR a.round = $2
)
SELECT jsonb_build_object(
    'eid', ev.eid, 'name', ev.name, 'current_round', ev.current_round, 'as_of', now(),
    'rounds', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'round_number', r.round_number, 'is_finished', r.is_finished, 'closing_time', r.closing_time)
                   ORDER BY r.round_number), '[]'::jsonb)
               FROM rounds r WHERE r.event_id = ev.id),
    'easels', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'round', x.round, 'easel', x.easel, 'art_code', x.art_code, 'artist_name', x.artist_name,
                   'artist_profile_id', x.artist_profile_id, 'raw_votes', coalesce(x.raw_votes, 0),
                   'weighted', coalesce(x.weighted, 0)) ORDER BY x.round, x.easel), '[]'::jsonb)
               FROM (works FULL JOIN tallies USING (round, easel)) x))
FROM ev
""",
)

_AUCTION = Query(
    "live.auction",
    """
WITH ev AS (SELECT id, eid, name, currency, timezone_icann FROM events WHERE eid = $1)
SELECT jsonb_build_object(
    'eid', ev.eid, 'name', ev.name, 'currency', ev.currency, 'timezone', ev.timezone_icann, 'as_of', now(),
    'artworks', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'art_code', a.art_code, 'round', a.round, 'easel', a.easel, 'artist_name', ap.name,
                     'status', a.status, 'current_bid', coalesce(a.current_bid, 0),
                     'bid_count', coalesce(a.bid_count, 0), 'closing_time', a.closing_time,
                     'final_price', a.final_price) ORDER BY a.round, a.easel), '[]'::jsonb)
                 FROM art a LEFT JOIN artist_profiles ap ON ap.id = a.artist_id WHERE a.event_id = ev.id),
    'last_bid_at', (SELECT max(b.created_at) FROM bids b JOIN art a ON a.id = b.art_id WHERE a.event_id = ev.id))
FROM ev
""",
)


async def voting_tallies(db: Database, eid: str, round_number: int | None) -> VotingTalliesRow | None:
    document = await db.document(_VOTING, eid, round_number)
    return None if document is None else VotingTalliesRow.model_validate(document)


async def auction_board(db: Database, eid: str) -> AuctionBoardRow | None:
    document = await db.document(_AUCTION, eid)
    return None if document is None else AuctionBoardRow.model_validate(document)
