-- What the event tools read beyond the first five: event settings, who paints on which easel, the artists'
-- invitations, confirmations and applications (joined to events by the text eid, as in production), and
-- door check-ins. Production shape for the embedded default and the tests only, like 0001.
ALTER TABLE events ADD COLUMN IF NOT EXISTS event_level text;
-- Empty string or NULL both mean "not linked to Eventbrite" in production.
ALTER TABLE events ADD COLUMN IF NOT EXISTS eventbrite_id text;
ALTER TABLE events ADD COLUMN IF NOT EXISTS meta_ads_budget numeric;
ALTER TABLE events ADD COLUMN IF NOT EXISTS other_ads_budget numeric;

-- rounds.id already exists (0001): round_contestants refers to it.
ALTER TABLE rounds ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();

-- art.round is a round number; this table is what ties an artwork to a rounds row and an easel.
CREATE TABLE IF NOT EXISTS round_contestants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    round_id uuid NOT NULL REFERENCES rounds(id),
    art_id uuid REFERENCES art(id),
    easel_number integer
);

CREATE TABLE IF NOT EXISTS artist_invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_eid text NOT NULL REFERENCES events(eid),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'invited', 'accepted', 'confirmed')),
    message_from_producer text,
    created_at timestamptz DEFAULT now(),
    accepted_at timestamptz
);

CREATE TABLE IF NOT EXISTS artist_confirmations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_eid text NOT NULL REFERENCES events(eid),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    confirmation_status text
);

CREATE TABLE IF NOT EXISTS artist_applications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_eid text NOT NULL REFERENCES events(eid),
    artist_profile_id uuid NOT NULL REFERENCES artist_profiles(id),
    created_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS qr_codes (
    code text PRIMARY KEY,
    generated_at timestamptz DEFAULT now(),
    expires_at timestamptz,
    is_active boolean DEFAULT true
);

CREATE TABLE IF NOT EXISTS people_qr_scans (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    person_id uuid REFERENCES people(id),
    event_id uuid NOT NULL REFERENCES events(id),
    qr_code text REFERENCES qr_codes(code),
    scan_timestamp timestamptz DEFAULT now()
);

-- Indexes for the event tools' queries (each looks rows up by one event).
CREATE INDEX IF NOT EXISTS round_contestants_round_idx ON round_contestants (round_id);
CREATE INDEX IF NOT EXISTS round_contestants_art_idx ON round_contestants (art_id);
CREATE INDEX IF NOT EXISTS artist_invitations_event_idx ON artist_invitations (event_eid, artist_profile_id);
CREATE INDEX IF NOT EXISTS artist_confirmations_event_idx ON artist_confirmations (event_eid, artist_profile_id);
CREATE INDEX IF NOT EXISTS artist_applications_event_idx ON artist_applications (event_eid, artist_profile_id);
CREATE INDEX IF NOT EXISTS people_qr_scans_event_idx ON people_qr_scans (event_id) INCLUDE (person_id);
