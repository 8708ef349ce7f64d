"""Looking people up: artist profiles (folded into their canonical profile) and people, by name or by a whole
contact value.

A lookup is one of a few kinds, each its own named query so each can use its index: a name (substring, any
case, `%` and `_` matched literally), an artist number (`entry_id`), an email (lower-cased, equal as a whole),
a phone (digits only, equal as a whole) or an artist profile id. Contacts are never matched in part: a piece
of an address or number must not let anyone list the people whose contacts contain it. Contacts come from the
linked `people` row first, then from the profile's own columns (older profiles have only those).
"""

from __future__ import annotations

from typing import Literal

from mcp_server.repository.events import like_escaped
from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows_people_finance import ArtistSearchRow, PeopleSearchRow

ArtistKey = Literal["name", "number", "email", "phone", "id"]
PersonKey = Literal["name", "email", "phone"]
PHONE_DIGITS = r"regexp_replace({0}.phone, '[^0-9]', '', 'g')"

_ARTIST_HITS: dict[ArtistKey, str] = {
    "name": r"SELECT ap.id FROM artist_profiles ap WHERE ap.name ILIKE '%' || $1 || '%' ESCAPE '\'",
    "number": "SELECT ap.id FROM artist_profiles ap WHERE ap.entry_id = $1::integer",
    "email": """SELECT ap.id FROM artist_profiles ap WHERE lower(ap.email) = $1
                UNION SELECT ap.id FROM artist_profiles ap JOIN people p ON p.id = ap.person_id
                      WHERE lower(p.email) = $1""",
    "phone": f"""SELECT ap.id FROM artist_profiles ap WHERE {PHONE_DIGITS.format("ap")} = $1
                 UNION SELECT ap.id FROM artist_profiles ap JOIN people p ON p.id = ap.person_id
                       WHERE {PHONE_DIGITS.format("p")} = $1""",
    "id": "SELECT ap.id FROM artist_profiles ap WHERE ap.id = $1::uuid",
}

# $1 the value, $2 the row limit, $3 the name as typed (for exact-name matches first) or NULL.
_ARTISTS = """
WITH hits AS ({hits}),
found AS (
    SELECT c.id, NOT bool_or(h.id = c.id) AS via_merged,
           coalesce(lower(c.name) = lower($3::text), false) AS exact_name
    FROM hits h
    JOIN artist_profiles x ON x.id = h.id
    JOIN artist_profiles c ON c.id = coalesce(x.superseded_by, x.id)
    GROUP BY c.id
),
listed AS (
    SELECT f.*, c.name, c.entry_id FROM found f JOIN artist_profiles c ON c.id = f.id
    ORDER BY f.exact_name DESC, c.name, c.entry_id NULLS LAST, c.id LIMIT $2
)
SELECT jsonb_build_object(
    'now', now(),
    'total', (SELECT count(*) FROM found),
    'artists', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'artist_profile_id', c.id, 'name', c.name, 'entry_id', c.entry_id, 'country', c.country,
        'email', coalesce(p.email, c.email), 'phone', coalesce(p.phone, c.phone), 'bio', c.abhq_bio,
        'created_at', c.created_at, 'exact_name', l.exact_name, 'matched_merged_profile', l.via_merged,
        'merged_profiles', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                'artist_profile_id', d.id, 'name', d.name, 'entry_id', d.entry_id,
                'email', coalesce(dp.email, d.email), 'phone', coalesce(dp.phone, d.phone),
                'created_at', d.created_at, 'updated_at', d.updated_at) ORDER BY d.created_at, d.id), '[]'::jsonb)
            FROM artist_profiles d LEFT JOIN people dp ON dp.id = d.person_id WHERE d.superseded_by = c.id),
        'event_count', works.events, 'last_eid', works.last_eid)
        ORDER BY l.exact_name DESC, l.name, l.entry_id NULLS LAST, l.id)
        FROM listed l
        JOIN artist_profiles c ON c.id = l.id
        LEFT JOIN people p ON p.id = c.person_id
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT a.event_id) AS events,
                   (array_agg(e.eid ORDER BY e.event_start_datetime DESC NULLS LAST))[1] AS last_eid
            FROM art a JOIN events e ON e.id = a.event_id
            WHERE a.artist_id = c.id OR a.artist_id IN (SELECT m.id FROM artist_profiles m WHERE m.superseded_by = c.id)
        ) works), '[]'::jsonb))
"""

_PERSON_HITS: dict[PersonKey, str] = {
    "name": r"concat_ws(' ', p.first_name, p.last_name) ILIKE '%' || $1 || '%' ESCAPE '\'",
    "email": "lower(p.email) = $1",
    "phone": f"{PHONE_DIGITS.format('p')} = $1",
}

# $1 the value, $2 the row limit. Counts are per person over every event.
_PEOPLE = """
WITH found AS (
    SELECT p.id, p.email, p.phone, nullif(concat_ws(' ', p.first_name, p.last_name), '') AS name
    FROM people p WHERE {hits}
),
listed AS (SELECT * FROM found ORDER BY name NULLS LAST, id LIMIT $2)
SELECT jsonb_build_object(
    'now', now(),
    'total', (SELECT count(*) FROM found),
    'people', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', l.name, 'email', l.email, 'phone', l.phone,
        'votes', (SELECT count(*) FROM votes v WHERE v.person_id = l.id),
        'bids', (SELECT count(*) FROM bids b WHERE b.person_id = l.id),
        'wins', (SELECT count(*) FROM art a WHERE a.winner_id = l.id),
        'check_ins', (SELECT count(*) FROM people_qr_scans s WHERE s.person_id = l.id),
        'artist_name', artist.name, 'artist_entry_id', artist.entry_id) ORDER BY l.name NULLS LAST, l.id)
        FROM listed l
        LEFT JOIN LATERAL (
            SELECT ap.name, ap.entry_id FROM artist_profiles ap WHERE ap.person_id = l.id
            ORDER BY ap.superseded_by NULLS FIRST, ap.created_at DESC NULLS LAST LIMIT 1
        ) artist ON true), '[]'::jsonb))
"""

ARTIST_QUERIES = {
    key: Query(f"people.artists_by_{key}", _ARTISTS.format(hits=hits)) for key, hits in _ARTIST_HITS.items()
}
PEOPLE_QUERIES = {
    key: Query(f"people.people_by_{key}", _PEOPLE.format(hits=hits)) for key, hits in _PERSON_HITS.items()
}


async def find_artists(db: Database, key: ArtistKey, value: str | int, limit: int) -> ArtistSearchRow:
    """Canonical profiles matching `value` as a `key`; exact names first when searching by name."""
    if key == "name":
        document = await db.document(ARTIST_QUERIES[key], like_escaped(str(value)), limit, value)
    else:
        document = await db.document(ARTIST_QUERIES[key], value, limit, None)
    return ArtistSearchRow.model_validate(document)


async def find_people(db: Database, key: PersonKey, value: str, limit: int) -> PeopleSearchRow:
    """People matching `value` as a `key`, with their votes, bids, wins and check-ins."""
    document = await db.document(PEOPLE_QUERIES[key], like_escaped(value) if key == "name" else value, limit)
    return PeopleSearchRow.model_validate(document)
