"""Events: details of one, search over many, and the list of known eids for suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_server.repository.pool import Database

_EVENT_DETAILS = """
SELECT jsonb_build_object(
    'eid', e.eid, 'name', e.name, 'starts_at', e.event_start_datetime, 'ends_at', e.event_end_datetime,
    'timezone', e.timezone_icann, 'current_round', e.current_round, 'currency', e.currency,
    'capacity', e.capacity, 'region', e.stripe_account_region, 'enabled', e.enabled,
    'city', c.name, 'country', c.country, 'venue', v.name, 'venue_address', v.address, 'now', now(),
    'rounds', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'round_number', r.round_number, 'is_finished', r.is_finished, 'closing_time', r.closing_time)
                   ORDER BY r.round_number), '[]'::jsonb)
               FROM rounds r WHERE r.event_id = e.id),
    'artist_count', (SELECT count(DISTINCT a.artist_id) FROM art a WHERE a.event_id = e.id),
    'artwork_count', (SELECT count(*) FROM art a WHERE a.event_id = e.id))
FROM events e
LEFT JOIN cities c ON c.id = e.city_id
LEFT JOIN venues v ON v.id = e.venue_id
WHERE e.eid = $1
"""


async def event_details(db: Database, eid: str) -> dict[str, Any] | None:
    document: dict[str, Any] | None = await db.document(_EVENT_DETAILS, eid)
    return document


async def known_eids(db: Database) -> list[str]:
    return [row["eid"] for row in await db.fetch("SELECT eid FROM events ORDER BY eid")]


async def search_events(
    db: Database,
    query: str | None,
    city: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> dict[str, Any]:
    document: dict[str, Any] = await db.document(_SEARCH_SIMPLE, query, city, start, end, limit)
    return document


_SEARCH_SIMPLE = """
WITH matched AS (
    SELECT e.eid, e.name, e.event_start_datetime AS starts_at, e.event_end_datetime AS ends_at,
           e.timezone_icann AS timezone, e.currency, e.current_round, c.name AS city, c.country,
           abs(extract(epoch FROM e.event_start_datetime - now())) AS distance
    FROM events e LEFT JOIN cities c ON c.id = e.city_id
    WHERE ($1::text IS NULL OR e.name ILIKE '%' || $1 || '%' OR e.eid ILIKE $1 || '%'
           OR c.name ILIKE '%' || $1 || '%')
      AND ($2::text IS NULL OR c.name ILIKE $2 || '%')
      AND ($3::timestamptz IS NULL OR e.event_end_datetime >= $3)
      AND ($4::timestamptz IS NULL OR e.event_start_datetime < $4)
      AND coalesce(e.enabled, true)
)
SELECT jsonb_build_object(
    'now', now(),
    'total', (SELECT count(*) FROM matched),
    'events', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'distance' ORDER BY m.distance, m.starts_at DESC)
                        FROM (SELECT * FROM matched ORDER BY distance, starts_at DESC LIMIT $5) m), '[]'::jsonb))
"""
