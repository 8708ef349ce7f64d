"""Events: details of one, search over many, and the list of known eids for suggestions."""

from __future__ import annotations

from datetime import datetime

from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows import EventDetailsRow, EventSearchRow

_EVENT_DETAILS = Query(
    "events.details",
    """
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
""",
)

_KNOWN_EIDS = Query("events.known_eids", "SELECT eid FROM events ORDER BY eid")

_SEARCH = Query(
    "events.search",
    r"""
WITH matched AS (
    SELECT e.eid, e.name, e.event_start_datetime AS starts_at, e.event_end_datetime AS ends_at,
           e.timezone_icann AS timezone, e.currency, e.current_round, c.name AS city, c.country,
           abs(extract(epoch FROM e.event_start_datetime - now())) AS distance
    FROM events e LEFT JOIN cities c ON c.id = e.city_id
    -- $1 and $2 arrive with % _ \ escaped (like_escaped): what a person types matches literally
    WHERE ($1::text IS NULL OR e.name ILIKE '%' || $1 || '%' ESCAPE '\' OR e.eid ILIKE $1 || '%' ESCAPE '\'
           OR c.name ILIKE '%' || $1 || '%' ESCAPE '\')
      AND ($2::text IS NULL OR c.name ILIKE $2 || '%' ESCAPE '\')
      AND ($3::timestamptz IS NULL OR e.event_end_datetime >= $3)
      AND ($4::timestamptz IS NULL OR e.event_start_datetime < $4)
      AND coalesce(e.enabled, true)
)
SELECT jsonb_build_object(
    'now', now(),
    'total', (SELECT count(*) FROM matched),
    'events', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'distance' ORDER BY m.distance, m.starts_at DESC)
                        FROM (SELECT * FROM matched ORDER BY distance, starts_at DESC LIMIT $5) m), '[]'::jsonb))
""",
)


def like_escaped(text: str | None) -> str | None:
    """`text` for ILIKE ... ESCAPE '\\': its %, _ and \\ match themselves."""
    if text is None:
        return None
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def event_details(db: Database, eid: str) -> EventDetailsRow | None:
    document = await db.document(_EVENT_DETAILS, eid)
    return None if document is None else EventDetailsRow.model_validate(document)


async def known_eids(db: Database) -> list[str]:
    return [str(row["eid"]) for row in await db.fetch(_KNOWN_EIDS)]


async def search_events(
    db: Database,
    query: str | None,
    city: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> EventSearchRow:
    document = await db.document(_SEARCH, like_escaped(query), like_escaped(city), start, end, limit)
    return EventSearchRow.model_validate(document)
