"""Setting an event up: the facts its readiness is judged on, and its roster of artists. One round trip each.

Invitations, confirmations and applications join events by the text eid (`event_eid`), as in production;
`round_contestants` ties an artwork to a `rounds` row and an easel (`art.round` is only a number). A merged
duplicate profile (`superseded_by` set) is counted as the profile it was merged into.
"""

from __future__ import annotations

from mcp_server.repository.pool import Database, Query
from mcp_server.repository.rows_event_ops import ReadinessRow, RosterRow

# The head every event document starts with; `ev` is the event row.
EVENT_HEAD = """
    'eid', ev.eid, 'name', ev.name, 'starts_at', ev.event_start_datetime, 'ends_at', ev.event_end_datetime,
    'timezone', ev.timezone_icann, 'currency', ev.currency, 'as_of', now()"""


def canonical(column: str) -> str:
    """The current profile of the artist in `column`: a merged duplicate (superseded_by set) counts as it."""
    return f"coalesce((SELECT sp.superseded_by FROM artist_profiles sp WHERE sp.id = {column}), {column})"


# An artist's display name: the profile's, else the person's (concat_ws: a NULL part must not blank it).
ARTIST_NAME = """coalesce(nullif(btrim(ap.name), ''),
                          nullif(concat_ws(' ', nullif(btrim(p.first_name), ''), nullif(btrim(p.last_name), '')), ''),
                          'unnamed artist')"""

_READINESS = Query(
    "event_ops.readiness",
    f"""
WITH ev AS (SELECT * FROM events WHERE eid = $1),
slots AS (
    SELECT r.round_number, rc.art_id
    FROM round_contestants rc JOIN rounds r ON r.id = rc.round_id JOIN ev ON r.event_id = ev.id
),
works AS (SELECT {canonical("a.artist_id")} AS artist_id FROM art a JOIN ev ON a.event_id = ev.id),
confirmed AS (
    SELECT DISTINCT {canonical("c.artist_profile_id")} AS artist_profile_id
    FROM artist_confirmations c JOIN ev ON c.event_eid = ev.eid
    WHERE c.confirmation_status = 'confirmed'
),
unconfirmed AS (
    SELECT w.artist_id, {ARTIST_NAME} AS name
    FROM (SELECT DISTINCT artist_id FROM works WHERE artist_id IS NOT NULL) w
    JOIN artist_profiles ap ON ap.id = w.artist_id LEFT JOIN people p ON p.id = ap.person_id
    WHERE NOT EXISTS (SELECT 1 FROM confirmed c WHERE c.artist_profile_id = w.artist_id)
)
SELECT jsonb_build_object({EVENT_HEAD},
    'event_level', ev.event_level, 'enabled', ev.enabled, 'show_in_app', ev.show_in_app,
    'region', ev.stripe_account_region, 'eventbrite_id', ev.eventbrite_id,
    'city', c.name, 'country', c.country, 'venue', v.name,
    'rounds', (SELECT coalesce(jsonb_agg(r.round_number ORDER BY r.round_number), '[]'::jsonb)
               FROM rounds r WHERE r.event_id = ev.id),
    'slots', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                  'round_number', s.round_number, 'easels', s.easels, 'without_art', s.without_art)
                  ORDER BY s.round_number), '[]'::jsonb)
              FROM (SELECT round_number, count(*) AS easels, count(*) FILTER (WHERE art_id IS NULL) AS without_art
                    FROM slots GROUP BY round_number) s),
    'artworks', (SELECT count(*) FROM works),
    'artworks_without_artist', (SELECT count(*) FROM works WHERE artist_id IS NULL),
    'confirmed_artists', (SELECT count(*) FROM confirmed),
    'painting_artists', (SELECT count(DISTINCT artist_id) FROM works),
    'unconfirmed_painters_total', (SELECT count(*) FROM unconfirmed),
    'unconfirmed_painters', (SELECT coalesce(jsonb_agg(u.name ORDER BY u.name), '[]'::jsonb)
                             FROM (SELECT name FROM unconfirmed ORDER BY name LIMIT $2) u))
FROM ev
LEFT JOIN cities c ON c.id = ev.city_id
LEFT JOIN venues v ON v.id = ev.venue_id
""",
)

# $2 the row limit: `total` and `by_stage` count every artist of the roster, not only those returned.
_ROSTER = Query(
    "event_ops.roster",
    f"""
WITH ev AS (SELECT * FROM events WHERE eid = $1),
invitation AS (
    SELECT DISTINCT ON (x.artist_profile_id) x.*
    FROM (SELECT {canonical("i.artist_profile_id")} AS artist_profile_id, i.status, i.created_at, i.accepted_at
          FROM artist_invitations i JOIN ev ON i.event_eid = ev.eid) x
    ORDER BY x.artist_profile_id, x.created_at DESC NULLS LAST
),
confirmation AS (
    -- 'confirmed' is what "confirmed artists" means; any other status is shown as it is
    SELECT DISTINCT ON (x.artist_profile_id) x.*
    FROM (SELECT {canonical("c.artist_profile_id")} AS artist_profile_id, c.confirmation_status
          FROM artist_confirmations c JOIN ev ON c.event_eid = ev.eid) x
    ORDER BY x.artist_profile_id, x.confirmation_status = 'confirmed' DESC, x.confirmation_status
),
application AS (
    SELECT x.artist_profile_id, min(x.created_at) AS applied_at
    FROM (SELECT {canonical("a.artist_profile_id")} AS artist_profile_id, a.created_at
          FROM artist_applications a JOIN ev ON a.event_eid = ev.eid) x
    GROUP BY x.artist_profile_id
),
paints AS (
    SELECT x.artist_id, jsonb_agg(jsonb_build_object(
               'round', x.round, 'easel', x.easel, 'art_code', x.art_code, 'status', x.status)
               ORDER BY x.round, x.easel) AS paints
    FROM (SELECT {canonical("a.artist_id")} AS artist_id, a.round, coalesce(rc.easel_number, a.easel) AS easel,
                 a.art_code, a.status
          FROM art a JOIN ev ON a.event_id = ev.id LEFT JOIN round_contestants rc ON rc.art_id = a.id
          WHERE a.artist_id IS NOT NULL) x
    GROUP BY x.artist_id
),
everyone AS (
    SELECT artist_profile_id AS id FROM invitation UNION SELECT artist_profile_id FROM confirmation
    UNION SELECT artist_profile_id FROM application UNION SELECT artist_id FROM paints
),
roster AS (
    SELECT ap.id AS artist_profile_id, {ARTIST_NAME} AS artist_name, ap.country,
           CASE WHEN cf.confirmation_status = 'confirmed' OR iv.status = 'confirmed' THEN 'confirmed'
                WHEN iv.status IN ('accepted', 'invited', 'pending') THEN iv.status
                WHEN app.applied_at IS NOT NULL THEN 'applied'
                ELSE 'on_easel' END AS stage,
           iv.status AS invitation_status, iv.created_at AS invited_at, iv.accepted_at,
           cf.confirmation_status, app.applied_at, coalesce(pt.paints, '[]'::jsonb) AS paints,
           acct.has_account AS has_stripe_account, acct.payouts_enabled
    FROM everyone e
    JOIN artist_profiles ap ON ap.id = e.id
    LEFT JOIN people p ON p.id = ap.person_id
    LEFT JOIN invitation iv ON iv.artist_profile_id = e.id
    LEFT JOIN confirmation cf ON cf.artist_profile_id = e.id
    LEFT JOIN application app ON app.artist_profile_id = e.id
    LEFT JOIN paints pt ON pt.artist_id = e.id
    -- any account with payouts enabled makes the artist payable; no single account has to be picked here
    CROSS JOIN LATERAL (
        SELECT count(*) > 0 AS has_account, coalesce(bool_or(sa.payouts_enabled), false) AS payouts_enabled
        FROM artist_stripe_accounts sa WHERE sa.artist_profile_id = e.id
    ) acct
),
ranked AS (
    SELECT r.*, array_position(ARRAY['confirmed', 'accepted', 'invited', 'pending', 'applied', 'on_easel'],
                               r.stage) AS stage_rank,
           (SELECT min(x.round * 1000 + x.easel) FROM jsonb_to_recordset(r.paints) AS x(round int, easel int))
               AS first_easel
    FROM roster r
)
SELECT jsonb_build_object({EVENT_HEAD},
    'total', (SELECT count(*) FROM roster),
    'by_stage', (SELECT coalesce(jsonb_object_agg(s.stage, s.n), '{{}}'::jsonb)
                 FROM (SELECT stage, count(*) AS n FROM roster GROUP BY stage) s),
    'artists', (SELECT coalesce(jsonb_agg(to_jsonb(l) - 'stage_rank' - 'first_easel'
                                          ORDER BY l.stage_rank, l.first_easel NULLS LAST, l.artist_name), '[]'::jsonb)
                FROM (SELECT * FROM ranked ORDER BY stage_rank, first_easel NULLS LAST, artist_name LIMIT $2) l))
FROM ev
""",
)


async def readiness_facts(db: Database, eid: str, names_limit: int) -> ReadinessRow | None:
    document = await db.document(_READINESS, eid, names_limit)
    return None if document is None else ReadinessRow.model_validate(document)


async def roster(db: Database, eid: str, limit: int) -> RosterRow | None:
    document = await db.document(_ROSTER, eid, limit)
    return None if document is None else RosterRow.model_validate(document)
